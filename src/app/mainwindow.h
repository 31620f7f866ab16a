#pragma once

#include <memory>
#include <vector>

#include <QFutureWatcher>
#include <QMainWindow>

#include "core/analysis/architectureranking.h"

#include "app/architecturematcher.h"
#include "app/loadcontroller.h"

class QCloseEvent;
class QComboBox;
class QFileSystemWatcher;
class QTimer;
class QDragEnterEvent;
class QDropEvent;
class QLabel;
class QProgressBar;
class QPushButton;
class QToolButton;
class QTreeView;

namespace Ui
{
class MainWindow;
}

namespace ckpt::models
{
class CheckpointTreeModel;
class TreeFilterProxy;
class FindingsModel;
} // namespace ckpt::models

namespace ckpt::app
{

class ArchitectureChooser;
class DetailPane;
class ChangedBanner;
class DiffWindow;
class DirectoryBanner;
class ExportDialog;
class HealthScanJob;
struct HealthOutcome;
class HelpDialog;
class RecentFiles;
class RenamePreviewDialog;
class RepairBanner;
class SecurityBanner;

// The main window: opens files through LoadController, shows the tree, the details of the selected row and
// the findings, checks the document against a chosen architecture and leads to repair, export and diff.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void openFile(const QString& path);
    // Opens `path` in a new window (the export dialog's "Open result": the input stays open here).
    MainWindow* openInNewWindow(const QString& path);
    // Opens the embedded sample with its matching architecture chosen (the first run's screen).
    void openSample();
    // Chooses an architecture (`builtin:NAME` or a file); empty clears it. Matching runs in the background.
    void setArchitecture(const QString& spec);
    // Opens the repair preview for the current match (nullptr when there is no document).
    RenamePreviewDialog* openFixPrefixes();
    // Opens a diff window of the current document against `path` (or both files when `left` is given).
    DiffWindow* openDiff(const QString& right, const QString& left = {});

    LoadController* loadController() const { return m_loader; }
    models::CheckpointTreeModel* treeModel() const { return m_model; }
    models::TreeFilterProxy* filterProxy() const { return m_proxy; }
    QTreeView* treeView() const;
    DetailPane* detailPane() const { return m_detail; }
    RepairBanner* repairBanner() const { return m_repairBanner; }
    SecurityBanner* securityBanner() const { return m_security; }
    DirectoryBanner* directoryBanner() const { return m_directoryBanner; }
    // "changed on disk" with Reload: shown when a file of the open document is rewritten under it.
    ChangedBanner* changedBanner() const { return m_changedBanner; }
    QAction* openFolderAction() const { return m_openFolder; }
    // "Weights" / "Python objects" for a whole-model pickle (hidden for other files); the choice is kept for
    // the rest of the session, in every window.
    QComboBox* viewSwitch() const { return m_viewSwitch; }
    void setTreeView(models::TreeView view);
    ArchitectureChooser* architectureChooser() const { return m_chooser; }
    // The catalog ranked for the open file (best first); empty until the background ranking is done.
    const std::vector<ArchitectureFit>& ranking() const { return m_ranking; }
    QString architectureSpec() const { return m_archSpec; }
    QString statusSummaryText() const;
    // The whole-file NaN/Inf scan that fills the tree's NaN/Inf column (started by every open).
    HealthScanJob* healthScan() const { return m_healthScan; }
    QString healthStatusText() const;
    bool healthProgressShown() const;
    // A scan is waiting for the ranking or running; healthShown() follows (column filled, or why not).
    bool healthScanBusy() const;
    // Help > Manual (F1) or Help > Keyboard Shortcuts (HelpDialog::Page); the dialog deletes itself on close.
    HelpDialog* showHelp(int page);
    CheckpointPtr document() const { return m_doc; }
    std::shared_ptr<const MatchReport> matchReport() const { return m_report; }
    QString matchSummaryText() const;
    bool matchSpinnerShown() const;
    // Writes the current match report to `path`: Markdown for ".md", JSON otherwise; atomic.
    bool saveMatchReport(const QString& path, QString* error = nullptr);
    QString errorText() const;
    bool errorVisible() const;

signals:
    void documentShown(const QString& path);
    void matchShown(); // the tree now reflects the current architecture (or an error is shown)
    void exportDialogShown(ckpt::app::ExportDialog* dialog);
    void rankingShown(); // the chooser lists the catalog best first (and the best fit is being checked)
    void newWindowOpened(ckpt::app::MainWindow* window);
    void healthShown(); // the NaN/Inf scan's answer is in the status bar (and the column, when it ran)

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void setupActions();
    void setupStatusBar();
    void restoreSettings();
    void chooseAndOpen();
    void chooseAndOpenFolder();
    void chooseMatchReportFile();
    void chooseArchitectureFile(const QString& title, const QString& filter, const QString& settingsKey);
    void chooseDiffFile();
    void onStarted(const QString& path);
    void onProgress(qint64 done, qint64 total);
    void onLoaded(const LoadedDocument& result);
    void onFailed(const QString& path, const QString& reason);
    void onCancelled(const QString& path);
    void onMatched(const MatchOutcome& outcome);
    void startHealthScan();
    void onHealthScanned(const HealthOutcome& outcome);
    void runPendingHealthScan();
    void cancelHealthScan();
    void showError(const QString& html, bool retryable);
    void hideError();
    void updateMatchBar();
    void updateActions();
    void applyFilter();
    void copySelection(bool fullPath);
    void showContextMenu(const QPoint& pos);
    void onCurrentChanged();
    void startRanking();
    void onRanked();
    void sizeColumns();
    void setupFileWatch();
    void watchDocumentFiles();
    void checkFilesOnDisk();
    QString lastDir(const QString& key) const;
    void setLastDir(const QString& key, const QString& file);

    std::unique_ptr<Ui::MainWindow> m_ui;
    LoadController* m_loader = nullptr;
    ArchitectureMatcher* m_matcher = nullptr;
    models::CheckpointTreeModel* m_model = nullptr;
    models::TreeFilterProxy* m_proxy = nullptr;
    models::FindingsModel* m_findings = nullptr;
    DetailPane* m_detail = nullptr;
    ArchitectureChooser* m_chooser = nullptr;
    RecentFiles* m_recent = nullptr;
    QLabel* m_statusSummary = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    SecurityBanner* m_security = nullptr;
    RepairBanner* m_repairBanner = nullptr;
    DirectoryBanner* m_directoryBanner = nullptr;
    ChangedBanner* m_changedBanner = nullptr;
    QFileSystemWatcher* m_fileWatcher = nullptr;
    QTimer* m_changeCheck = nullptr;
    QAction* m_openFolder = nullptr;
    QAction* m_saveMatchReport = nullptr;
    QProgressBar* m_matchSpinner = nullptr;
    QComboBox* m_viewSwitch = nullptr;
    HealthScanJob* m_healthScan = nullptr;
    QProgressBar* m_healthProgress = nullptr;
    QToolButton* m_healthCancel = nullptr;
    QLabel* m_healthLabel = nullptr;
    bool m_healthPending = false; // opened, scan not started yet (it waits for the ranking)
    QFutureWatcher<std::vector<ArchitectureFit>>* m_ranker = nullptr;
    quint64 m_rankGeneration = 0;
    std::vector<ArchitectureFit> m_ranking;
    QString m_wrapperPrefix;
    CheckpointPtr m_doc;
    QString m_path;
    QString m_archSpec;
    QString m_samplePath; // the extracted first-run sample, labelled as such when shown
    std::shared_ptr<const MatchReport> m_report;
    bool m_retryMatches = false; // the banner's Retry re-runs the match rather than the load
};

} // namespace ckpt::app
