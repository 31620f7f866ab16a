#pragma once

#include <atomic>
#include <memory>

#include <QFutureWatcher>
#include <QWidget>

#include "core/analysis/checkpointdiff.h"
#include "core/format/loader.h"

class QPushButton;
class QTreeView;

namespace Ui
{
class DiffWindow;
}

namespace ckpt::models
{
class DiffTreeModel;
}

namespace ckpt::app
{

// Two checkpoints side by side: aligned trees after prefix normalisation (the rule is shown), synchronised
// scrolling, expansion and selection, coloured statuses, "differences only", a summary, and a value
// comparison run in the background on request.
class DiffWindow : public QWidget
{
    Q_OBJECT
public:
    explicit DiffWindow(QWidget* parent = nullptr);
    ~DiffWindow() override;

    // Compares an open document with a file (loaded in the background).
    void compare(CheckpointPtr left, const QString& leftPath, const QString& rightPath);
    void compareFiles(const QString& leftPath, const QString& rightPath);
    // Streams every tensor's bytes on both sides (what the Compare values button does).
    void compareValues();
    void setDifferencesOnly(bool on);
    // F8 / Shift+F8: selects the next (previous) row that differs, wrapping around; false when none differs.
    bool goToDifference(bool forward);

    bool isBusy() const { return m_watcher != nullptr; }
    // Writes the comparison to `path`: Markdown for ".md", JSON otherwise (atomic).
    bool saveReport(const QString& path, QString* error = nullptr);
    std::shared_ptr<const CheckpointDiff> diff() const { return m_diff; }
    QString summaryText() const; // "122 of 122 tensors equal after removing `module.`"
    QString errorText() const { return m_error; }
    QTreeView* leftView() const;
    QTreeView* rightView() const;

signals:
    void ready(); // a diff (metadata or values) is shown, or an error is

private:
    struct Outcome;
    void start(CheckpointPtr left, const QString& leftPath, const QString& rightPath, bool values);
    void finish();
    void showDiff(std::shared_ptr<const CheckpointDiff> diff);
    void syncViews();
    void mirror(QTreeView* from, QTreeView* to, const QModelIndex& index, bool expand);

    std::unique_ptr<Ui::DiffWindow> m_ui;
    models::DiffTreeModel* m_left = nullptr;
    models::DiffTreeModel* m_right = nullptr;
    CheckpointPtr m_leftDoc, m_rightDoc;
    QString m_leftPath, m_rightPath;
    std::shared_ptr<const CheckpointDiff> m_diff;
    QString m_error;
    QFutureWatcher<std::shared_ptr<Outcome>>* m_watcher = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QPushButton* m_saveButton = nullptr;
    bool m_syncing = false;
    bool m_autoValues = true;
    static constexpr uint64_t kAutoValuesBytes = 512ull << 20; // both files together
};

} // namespace ckpt::app
