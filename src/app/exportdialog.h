#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <QDialog>
#include <QFutureWatcher>

#include "core/analysis/renamerule.h"
#include "core/edit/exporter.h"

class QCheckBox;
class QPushButton;

namespace Ui
{
class ExportDialog;
}

namespace ckpt::app
{

// Export options (layout, location remapping, state dict only, format, destination next to the input and never
// the input itself), then a background export with progress and cancel that the engine verifies by re-opening
// the result; "Open result" loads the written file in the main window.
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    ExportDialog(CheckpointPtr doc, const QString& path, const RenameRule& rule, QWidget* parent = nullptr);
    ~ExportDialog() override;

    void setLayoutTarget(TargetLayout layout);
    void setFormat(ExportFormat format);
    void setStateDictOnly(bool on);
    // Only for a file that imports dangerous globals: write it without the objects that use them.
    void setDropDangerous(bool on);
    bool offersDropDangerous() const { return m_dropDangerousCheck != nullptr; }
    bool exportEnabled() const;
    void setDestination(const QString& path);
    QString destination() const;
    // Maps one location found in the file ("cuda:1") to "cpu", "cuda:N" or "" (keep).
    void setLocationTarget(const QString& location, const QString& target);
    ExportOptions options() const;

    // What the Export button does; returns false (with the reason shown) when the options are not usable.
    bool startExport();
    bool isRunning() const { return m_watcher != nullptr; }
    // The input is a DCP or DeepSpeed directory: the only export is "Consolidate into one file".
    bool consolidating() const;
    QString planText() const;
    void cancel() { cancelExport(); }
    bool succeeded() const { return m_succeeded; }
    QString statusText() const;
    QString resultPath() const { return m_result; }
    // What "Open result" does: asks the window to load the written file and closes the dialog.
    void openResult();

signals:
    void exportFinished(bool ok);
    void openRequested(const QString& path);

private:
    struct Outcome;
    void fillLocations();
    void updateDefaultDestination();
    void updatePlan();
    void browse();
    void finish();
    void cancelExport();
    void setStatus(const QString& html);
    void addDropDangerousChoice();
    void setupConsolidation();
    void updateConsolidationPlan();
    void startConsolidation(const QString& out, ExportFormat format, bool force);
    void runInWorker(std::function<std::shared_ptr<Outcome>()> job);

    std::unique_ptr<Ui::ExportDialog> m_ui;
    CheckpointPtr m_doc;
    QString m_path;
    RenameRule m_rule;
    bool m_destinationEdited = false;
    bool m_succeeded = false;
    QString m_result;
    QCheckBox* m_dropDangerousCheck = nullptr;
    QString m_dangerousNames; // "os.system, builtins.eval"
    QPushButton* m_export = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_open = nullptr;
    QFutureWatcher<std::shared_ptr<Outcome>>* m_watcher = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
};

} // namespace ckpt::app
