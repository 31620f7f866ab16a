#pragma once

#include <memory>

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include "core/analysis/matchreport.h"
#include "models/checkpointtree.h"

namespace ckpt::app
{

// The outcome of matching a document against an architecture: the report and a tree that shows it.
struct MatchOutcome {
    QString archSpec;
    std::shared_ptr<const MatchReport> report;
    std::shared_ptr<const models::CheckpointTree> tree;
    QString error; // non-empty when the architecture could not be resolved or matched
};

// Resolves an architecture and matches a document against it in the background; like LoadController, only the
// latest request's answer is delivered.
class ArchitectureMatcher : public QObject
{
    Q_OBJECT
public:
    explicit ArchitectureMatcher(QObject* parent = nullptr);
    ~ArchitectureMatcher() override;

    // `view`: the tree to build (a whole-model pickle's weights or Python objects).
    void match(CheckpointPtr doc, const QString& archSpec, models::TreeView view = models::TreeView::PythonObjects);
    void cancel() { ++m_generation; }
    bool isBusy() const { return !m_watchers.isEmpty(); }

    // The same work, synchronously (for the command line's first screen and for tests).
    static MatchOutcome run(CheckpointPtr doc, const QString& archSpec,
                            models::TreeView view = models::TreeView::PythonObjects);

signals:
    void finished(const ckpt::app::MatchOutcome& outcome);

private:
    quint64 m_generation = 0;
    QList<QFutureWatcher<MatchOutcome>*> m_watchers;
};

} // namespace ckpt::app

Q_DECLARE_METATYPE(ckpt::app::MatchOutcome)
