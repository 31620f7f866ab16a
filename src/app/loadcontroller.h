#pragma once

#include <atomic>
#include <memory>

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include "core/format/loader.h"
#include "models/checkpointtree.h"

namespace ckpt::app
{

// What a finished load hands to the window: the document and its tree, both built off the UI thread.
struct LoadedDocument {
    QString path;
    CheckpointPtr doc;
    std::shared_ptr<const models::CheckpointTree> tree;
    QString wrapperPrefix; // what `ckpt info` calls the wrapper: "module." when every key starts with it
    qint64 elapsedMs = 0;
};

// The one façade for loading a file in the background. Each open() starts a job with a new generation number
// and raises the previous job's cancel flag; a result whose generation is not the latest is dropped, so
// opening a second file while the first loads shows only the second.
class LoadController : public QObject
{
    Q_OBJECT
public:
    explicit LoadController(QObject* parent = nullptr);
    ~LoadController() override;

    // Starts loading `path`; returns the job's generation.
    quint64 open(const QString& path);
    // Loads the last path again (the error banner's Retry).
    quint64 retry();
    void cancel();
    bool isLoading() const { return m_running != nullptr; }
    quint64 generation() const { return m_generation; }
    QString currentPath() const { return m_path; }
    // The tree a whole-model pickle opens on (the next open() builds it); other files have one view.
    void setTreeView(models::TreeView view) { m_view = view; }

signals:
    void started(const QString& path);
    // Bytes parsed over bytes to parse; until the first one the bar is indeterminate.
    void progress(qint64 done, qint64 total);
    void loaded(const ckpt::app::LoadedDocument& result);
    void failed(const QString& path, const QString& reason);
    void cancelled(const QString& path);

private:
    struct Job;
    struct Outcome;
    void finish(const std::shared_ptr<Job>& job, QFutureWatcher<Outcome>* watcher);

    quint64 m_generation = 0;
    QString m_path;
    models::TreeView m_view = models::TreeView::PythonObjects;
    std::shared_ptr<Job> m_running;
    QList<QFutureWatcher<Outcome>*> m_watchers;
};

} // namespace ckpt::app

Q_DECLARE_METATYPE(ckpt::app::LoadedDocument)
