#include "app/mainwindow.h"
#include "ui_mainwindow.h"

#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QGuiApplication>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QTimer>
#include <QtConcurrent/QtConcurrent>

#include "app/aboutdialog.h"
#include "app/architecturechooser.h"
#include "app/changedbanner.h"
#include "app/detailpane.h"
#include "app/diffwindow.h"
#include "app/directorybanner.h"
#include "app/documentfacts.h"
#include "app/exportdialog.h"
#include "app/healthscanjob.h"
#include "app/helpdialog.h"
#include "app/recentfiles.h"
#include "app/renamepreviewdialog.h"
#include "app/repairbanner.h"
#include "app/samplefile.h"
#include "app/securitybanner.h"
#include "app/shortcutpassthrough.h"
#include "core/io/mappedfile.h"
#include "models/checkpointtreemodel.h"
#include "models/findingsmodel.h"
#include "models/formatting.h"
#include "models/modelroles.h"
#include "models/reportformat.h"
#include "models/statuscolors.h"
#include "models/treefilterproxy.h"

namespace ckpt::app
{

namespace
{

const char* const kCheckpointFilter =
    "Checkpoints (*.pth *.pt *.ckpt *.bin *.safetensors *.pkl *.tar *.index.json);;All files (*)";

// The tree a whole-model pickle opens on, for this session (every window): the weights first, as a state dict.
models::TreeView g_sessionTreeView = models::TreeView::Weights;

QString legendHtml(const QPalette& pal)
{
    using models::MatchState;
    QStringList parts;
    for (MatchState s : {MatchState::Ok, MatchState::Renamed, MatchState::ShapeMismatch, MatchState::DtypeMismatch,
                         MatchState::Unexpected, MatchState::Missing}) {
        const QColor c = models::StatusColors::foreground(s, pal);
        parts << QStringLiteral("<span style='color:%1'>&#9679; %2</span>")
                     .arg(c.name(), QString::fromLatin1(models::matchStateName(s)));
    }
    return parts.join(QStringLiteral("&nbsp; "));
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>())
{
    m_ui->setupUi(this);
    m_loader = new LoadController(this);
    m_matcher = new ArchitectureMatcher(this);
    m_model = new models::CheckpointTreeModel(this);
    m_proxy = new models::TreeFilterProxy(this);
    m_proxy->setTreeModel(m_model);
    m_findings = new models::FindingsModel(this);

    m_ui->treeView->setModel(m_proxy);
    m_ui->treeView->sortByColumn(-1, Qt::AscendingOrder); // file order until the user sorts
    sizeColumns();
    m_ui->findingsView->setModel(m_findings);
    m_ui->findingsView->setColumnWidth(0, 80);
    m_ui->findingsView->setColumnWidth(1, 220);

    m_detail = new DetailPane(m_ui->detailHost);
    m_ui->detailHostLayout->addWidget(m_detail);
    // The tree gets most of the width so every column, Status included, fits at 1024 pixels.
    m_ui->mainSplitter->setStretchFactor(0, 7);
    m_ui->mainSplitter->setStretchFactor(1, 3);
    m_ui->mainSplitter->setSizes({850, 370});
    m_ui->sideSplitter->setStretchFactor(0, 3);
    m_ui->sideSplitter->setStretchFactor(1, 1);
    m_ui->sideSplitter->setSizes({480, 160});

    m_ui->errorBanner->hide();
    m_ui->matchBar->hide();
    m_ui->errorIcon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(20, 20));
    m_ui->legendLabel->setText(legendHtml(palette()));

    m_chooser = new ArchitectureChooser(this);
    m_ui->mainToolBar->addWidget(m_chooser);
    m_chooser->setFileActions({m_ui->actionLoadTorchScript, m_ui->actionCompareCheckpoint, m_ui->actionLoadKeyList});
    m_recent = new RecentFiles(m_ui->menuRecent, this);

    // Above everything: what is wrong with the file, then the one-click repair.
    m_security = new SecurityBanner(m_ui->centralWidget);
    m_repairBanner = new RepairBanner(m_ui->centralWidget);
    m_directoryBanner = new DirectoryBanner(m_ui->centralWidget);
    m_ui->centralLayout->insertWidget(0, m_security);
    m_ui->centralLayout->insertWidget(1, m_directoryBanner);
    m_ui->centralLayout->insertWidget(2, m_repairBanner);
    m_changedBanner = new ChangedBanner(m_ui->centralWidget);
    m_ui->centralLayout->insertWidget(0, m_changedBanner);
    setupFileWatch();

    // Whole-model pickles: the state dict or the pickled objects (shown only for such a file).
    m_viewSwitch = new QComboBox(m_ui->centralWidget);
    m_viewSwitch->setObjectName(QStringLiteral("viewSwitch"));
    m_viewSwitch->addItem(tr("Weights"), int(models::TreeView::Weights));
    m_viewSwitch->addItem(tr("Python objects"), int(models::TreeView::PythonObjects));
    m_viewSwitch->setToolTip(tr("A whole pickled model: list its tensors by state-dict name (Weights) or show "
                                "the pickled objects (_modules, _parameters, ...)"));
    m_viewSwitch->setCurrentIndex(m_viewSwitch->findData(int(g_sessionTreeView)));
    m_viewSwitch->hide();
    m_ui->filterLayout->insertWidget(0, m_viewSwitch);
    m_loader->setTreeView(g_sessionTreeView);
    connect(m_viewSwitch, qOverload<int>(&QComboBox::activated), this,
            [this](int index) { setTreeView(models::TreeView(m_viewSwitch->itemData(index).toInt())); });

    setupActions();
    setupStatusBar();
    restoreSettings();
    updateActions();

    // Text fields must not swallow the window's shortcuts (Ctrl+E, Ctrl+Shift+Left/Right, ...), and the tree,
    // not the filter box, has the keyboard at start-up.
    auto* passThrough = new ShortcutPassThrough({m_ui->actionFixPrefixes, m_ui->actionExport, m_ui->actionExpandAll,
                                                 m_ui->actionCollapseAll, m_ui->actionCompare},
                                                this);
    m_ui->filterEdit->installEventFilter(passThrough);
    // While typing a filter, the keys that move through a list move through the tree (the filter keeps focus).
    m_ui->filterEdit->installEventFilter(this);
    for (QWidget* w : m_chooser->findChildren<QWidget*>())
        w->installEventFilter(passThrough);
    m_ui->treeView->setFocus();
}

void MainWindow::setupFileWatch()
{
    m_fileWatcher = new QFileSystemWatcher(this);
    // Writers touch a file several times in a row; one check after they settle.
    m_changeCheck = new QTimer(this);
    m_changeCheck->setSingleShot(true);
    m_changeCheck->setInterval(150);
    connect(m_fileWatcher, &QFileSystemWatcher::fileChanged, m_changeCheck, qOverload<>(&QTimer::start));
    connect(m_changeCheck, &QTimer::timeout, this, &MainWindow::checkFilesOnDisk);
    connect(m_changedBanner, &ChangedBanner::reloadRequested, this, [this] {
        if (!m_path.isEmpty()) openFile(m_path);
    });
}

void MainWindow::watchDocumentFiles()
{
    if (!m_fileWatcher->files().isEmpty()) m_fileWatcher->removePaths(m_fileWatcher->files());
    m_changedBanner->hide();
    if (!m_doc) return;
    QStringList paths;
    for (const auto& file : m_doc->files)
        if (file) paths << QString::fromStdString(file->path());
    for (const auto& part : m_doc->parts) {
        if (!part) continue;
        for (const auto& file : part->files)
            if (file) paths << QString::fromStdString(file->path());
    }
    paths.removeDuplicates();
    if (!paths.isEmpty()) m_fileWatcher->addPaths(paths);
}

void MainWindow::checkFilesOnDisk()
{
    if (!m_doc) return;
    // A file replaced by rename drops out of the watch list: watch the new one at that path again.
    for (const auto& file : m_doc->files) {
        const QString path = file ? QString::fromStdString(file->path()) : QString();
        if (!path.isEmpty() && !m_fileWatcher->files().contains(path) && QFileInfo::exists(path))
            m_fileWatcher->addPath(path);
    }
    const VoidResult unchanged = m_doc->checkFilesUnchanged();
    if (unchanged.ok()) return;
    m_changedBanner->showFor(m_path, QString::fromStdString(unchanged.error().detail));
}

void MainWindow::sizeColumns()
{
    using Model = models::CheckpointTreeModel;
    QHeaderView* header = m_ui->treeView->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    // Name takes what the others leave, so Status stays on screen down to a 1024-pixel window.
    header->setSectionResizeMode(Model::NameColumn, QHeaderView::Stretch);
    header->setMinimumSectionSize(40);
    const std::pair<int, int> widths[] = {
        {Model::TypeColumn, 82},     {Model::ShapeColumn, 105}, {Model::ElementsColumn, 72}, {Model::SizeColumn, 68},
        {Model::LocationColumn, 60}, {Model::HealthColumn, 64}, {Model::StatusColumn, 112}};
    for (const auto& [column, width] : widths)
        m_ui->treeView->setColumnWidth(column, width);
}

MainWindow::~MainWindow() = default;

QTreeView* MainWindow::treeView() const
{
    return m_ui->treeView;
}

void MainWindow::setupActions()
{
    connect(m_ui->actionOpen, &QAction::triggered, this, &MainWindow::chooseAndOpen);
    // A DCP or DeepSpeed checkpoint is a folder: the file dialog cannot pick one, so it has its own action.
    m_openFolder = new QAction(tr("Open &Folder..."), this);
    m_openFolder->setObjectName(QStringLiteral("actionOpenFolder"));
    m_openFolder->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    m_openFolder->setToolTip(tr("Open a distributed checkpoint folder: torch.distributed.checkpoint (.metadata + "
                                "*.distcp) or DeepSpeed ZeRO (the folder with `latest` or a global_stepN folder)"));
    m_ui->menuFile->insertAction(m_ui->menuRecent->menuAction(), m_openFolder);
    // Icons from the platform theme's standard set, so the toolbar reads at a glance and matches the desktop.
    m_ui->actionOpen->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
    m_openFolder->setIcon(style()->standardIcon(QStyle::SP_DirOpenIcon));
    m_ui->actionCompare->setIcon(style()->standardIcon(QStyle::SP_FileDialogContentsView));
    m_ui->actionFixPrefixes->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    m_ui->actionExport->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    connect(m_openFolder, &QAction::triggered, this, &MainWindow::chooseAndOpenFolder);
    m_saveMatchReport = new QAction(tr("&Save Match Report..."), this);
    m_saveMatchReport->setObjectName(QStringLiteral("actionSaveMatchReport"));
    m_saveMatchReport->setToolTip(tr("Save every key's verdict as JSON (as `ckpt match --json`) or Markdown (.md)"));
    m_ui->menuArchitecture->insertAction(m_ui->actionClearArchitecture, m_saveMatchReport);
    auto* saveButton = new QToolButton(m_ui->matchBar);
    // Icon only: the match bar must fit a 1024-pixel window beside the legend and "Fix prefixes".
    m_saveMatchReport->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    saveButton->setDefaultAction(m_saveMatchReport);
    saveButton->setToolButtonStyle(Qt::ToolButtonIconOnly);
    m_ui->matchLayout->insertWidget(m_ui->matchLayout->indexOf(m_ui->fixButton), saveButton);
    // The first check of a large catalog entry takes a moment: a busy bar says it is running.
    m_matchSpinner = new QProgressBar(m_ui->matchBar);
    m_matchSpinner->setRange(0, 0);
    m_matchSpinner->setTextVisible(false);
    m_matchSpinner->setMaximumWidth(90);
    m_matchSpinner->hide();
    m_ui->matchLayout->insertWidget(1, m_matchSpinner);
    connect(m_saveMatchReport, &QAction::triggered, this, &MainWindow::chooseMatchReportFile);
    connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);
    connect(m_ui->actionCompare, &QAction::triggered, this, &MainWindow::chooseDiffFile);
    connect(m_ui->actionFixPrefixes, &QAction::triggered, this, &MainWindow::openFixPrefixes);
    connect(m_ui->fixButton, &QPushButton::clicked, this, &MainWindow::openFixPrefixes);
    connect(m_ui->actionExport, &QAction::triggered, this, [this] {
        if (!m_doc) return;
        auto* dialog = new ExportDialog(m_doc, m_path, RenameRule{}, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &ExportDialog::openRequested, this, &MainWindow::openInNewWindow);
        dialog->show();
    });
    connect(m_ui->actionAbout, &QAction::triggered, this, [this] { AboutDialog(this).exec(); });
    auto* manual = new QAction(tr("&Manual"), this);
    manual->setObjectName(QStringLiteral("actionManual"));
    manual->setShortcut(QKeySequence(Qt::Key_F1));
    manual->setToolTip(tr("What every part of the window means"));
    auto* keys = new QAction(tr("&Keyboard Shortcuts"), this);
    keys->setObjectName(QStringLiteral("actionShortcuts"));
    m_ui->menuHelp->insertAction(m_ui->actionAbout, manual);
    m_ui->menuHelp->insertAction(m_ui->actionAbout, keys);
    m_ui->menuHelp->insertSeparator(m_ui->actionAbout);
    connect(manual, &QAction::triggered, this, [this] { showHelp(HelpDialog::ManualPage); });
    connect(keys, &QAction::triggered, this, [this] { showHelp(HelpDialog::ShortcutsPage); });
    connect(m_ui->actionCopyKey, &QAction::triggered, this, [this] { copySelection(false); });
    connect(m_ui->actionCopyPath, &QAction::triggered, this, [this] { copySelection(true); });
    connect(m_ui->actionFind, &QAction::triggered, this, [this] {
        m_ui->filterEdit->setFocus();
        m_ui->filterEdit->selectAll();
    });
    connect(m_ui->actionExpandAll, &QAction::triggered, m_ui->treeView, &QTreeView::expandAll);
    connect(m_ui->actionCollapseAll, &QAction::triggered, m_ui->treeView, &QTreeView::collapseAll);
    connect(m_ui->expandButton, &QToolButton::clicked, m_ui->treeView, &QTreeView::expandAll);
    connect(m_ui->collapseButton, &QToolButton::clicked, m_ui->treeView, &QTreeView::collapseAll);
    connect(m_ui->actionSortBySize, &QAction::triggered, this,
            [this] { m_ui->treeView->sortByColumn(models::CheckpointTreeModel::SizeColumn, Qt::DescendingOrder); });
    connect(m_ui->actionLoadTorchScript, &QAction::triggered, this, [this] {
        chooseArchitectureFile(tr("Load TorchScript architecture"), tr("TorchScript (*.pt *.pth *.zip);;All files (*)"),
                               QStringLiteral("dirs/torchscript"));
    });
    connect(m_ui->actionCompareCheckpoint, &QAction::triggered, this, [this] {
        chooseArchitectureFile(tr("Checkpoint to use as the architecture"), QString::fromLatin1(kCheckpointFilter),
                               QStringLiteral("dirs/reference"));
    });
    connect(m_ui->actionLoadKeyList, &QAction::triggered, this, [this] {
        chooseArchitectureFile(tr("Load key list"), tr("Key lists (*.json);;All files (*)"),
                               QStringLiteral("dirs/keylist"));
    });
    connect(m_ui->actionClearArchitecture, &QAction::triggered, this, [this] {
        m_chooser->setCurrentSpec(QString());
        setArchitecture(QString());
    });
    connect(m_chooser, &ArchitectureChooser::architectureChosen, this, [this](const QString& spec) {
        setArchitecture(spec);
        m_ui->treeView->setFocus(); // the choice is made; the keyboard goes back to the tree and the shortcuts
    });
    connect(m_repairBanner, &RepairBanner::openRequested, this, &MainWindow::openFile);
    connect(m_repairBanner, &RepairBanner::previewRequested, this, &MainWindow::openFixPrefixes);

    connect(m_ui->retryButton, &QPushButton::clicked, this, [this] {
        hideError();
        if (m_retryMatches)
            setArchitecture(m_archSpec);
        else
            m_loader->retry();
    });
    connect(m_ui->dismissButton, &QPushButton::clicked, this, &MainWindow::hideError);
    connect(m_ui->filterEdit, &QLineEdit::textChanged, this, &MainWindow::applyFilter);
    connect(m_ui->regexCheck, &QCheckBox::toggled, this, &MainWindow::applyFilter);
    connect(m_ui->problemsCheck, &QCheckBox::toggled, this, [this](bool on) {
        m_proxy->setProblemsOnly(on);
        if (on) m_ui->treeView->expandAll();
    });
    connect(m_ui->treeView, &QWidget::customContextMenuRequested, this, &MainWindow::showContextMenu);
    connect(m_ui->treeView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &MainWindow::onCurrentChanged);
    // The proxy replaces its selection model's contents on reset; the pane follows.
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { m_detail->showNode(0); });

    connect(m_recent, &RecentFiles::openRequested, this, &MainWindow::openFile);
    connect(m_loader, &LoadController::started, this, &MainWindow::onStarted);
    connect(m_loader, &LoadController::progress, this, &MainWindow::onProgress);
    connect(m_loader, &LoadController::loaded, this, &MainWindow::onLoaded);
    connect(m_loader, &LoadController::failed, this, &MainWindow::onFailed);
    connect(m_loader, &LoadController::cancelled, this, &MainWindow::onCancelled);
    connect(m_matcher, &ArchitectureMatcher::finished, this, &MainWindow::onMatched);
}

void MainWindow::setupStatusBar()
{
    m_statusSummary =
        new QLabel(tr("Open a checkpoint with File > Open (Ctrl+O), a DCP or DeepSpeed folder with File > Open Folder "
                      "(Ctrl+Shift+O), or drop either here."),
                   this);
    // A long summary is elided by the status bar rather than widening the window (1024 pixels must fit).
    m_statusSummary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_statusSummary->setMinimumWidth(1);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop loading this file"));
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, m_loader, &LoadController::cancel);
    statusBar()->addWidget(m_statusSummary, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);

    // The NaN/Inf scan of the whole file: a bar with its own Cancel while it runs, then one line of result.
    m_healthScan = new HealthScanJob(this);
    m_healthProgress = new QProgressBar(this);
    m_healthProgress->setObjectName(QStringLiteral("healthProgress"));
    m_healthProgress->setMaximumWidth(160);
    m_healthProgress->setFormat(tr("NaN/Inf scan %p%"));
    m_healthProgress->setToolTip(tr("Reading every tensor for NaN and Inf (in the background)"));
    m_healthProgress->hide();
    m_healthCancel = new QToolButton(this);
    m_healthCancel->setObjectName(QStringLiteral("healthCancel"));
    m_healthCancel->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    m_healthCancel->setToolTip(tr("Stop the NaN/Inf scan"));
    m_healthCancel->setAutoRaise(true);
    m_healthCancel->hide();
    m_healthLabel = new QLabel(this);
    m_healthLabel->setObjectName(QStringLiteral("healthLabel"));
    statusBar()->addPermanentWidget(m_healthLabel);
    statusBar()->addPermanentWidget(m_healthProgress);
    statusBar()->addPermanentWidget(m_healthCancel);
    connect(m_healthCancel, &QToolButton::clicked, this, &MainWindow::cancelHealthScan);
    connect(m_healthScan, &HealthScanJob::progress, this, [this](qint64 done, qint64 total) {
        if (total <= 0) return;
        m_healthProgress->setRange(0, 1000);
        m_healthProgress->setValue(int(done * 1000 / total));
    });
    connect(m_healthScan, &HealthScanJob::finished, this, &MainWindow::onHealthScanned);
}

void MainWindow::startHealthScan()
{
    m_model->setHealth(nullptr);
    m_healthLabel->clear();
    m_healthProgress->setRange(0, 0); // busy until the first tick (the first scan also loads LibTorch)
    m_healthProgress->show();
    m_healthCancel->show();
    // The reading itself waits for the architecture ranking (startRanking / onRanked): on two cores the scan
    // competing with the first screen's own work made the window stutter while it opened.
    m_healthScan->cancel();
    m_healthPending = true;
}

void MainWindow::runPendingHealthScan()
{
    if (!m_healthPending) return;
    m_healthPending = false;
    m_healthScan->start(m_doc);
}

void MainWindow::cancelHealthScan()
{
    if (m_healthPending) {
        // Not started yet: nothing to stop, only the start to call off.
        m_healthPending = false;
        HealthOutcome cancelled;
        cancelled.cancelled = true;
        onHealthScanned(cancelled);
        return;
    }
    m_healthScan->cancel();
}

bool MainWindow::healthScanBusy() const
{
    return m_healthPending || m_healthScan->isRunning();
}

void MainWindow::onHealthScanned(const HealthOutcome& outcome)
{
    m_healthProgress->hide();
    m_healthCancel->hide();
    // Only the danger colour is set; every other role follows the window's palette (a dark theme too).
    QPalette pal;
    if (!outcome.table) {
        m_healthLabel->setText(outcome.cancelled ? tr("NaN/Inf scan cancelled") : tr("NaN/Inf scan not done"));
        m_healthLabel->setToolTip(outcome.error);
        m_healthLabel->setPalette(pal);
        emit healthShown();
        return;
    }
    if (!m_doc || outcome.table->document != m_doc.get()) return; // a scan of a document closed meanwhile
    m_model->setHealth(outcome.table);
    m_ui->treeView->viewport()->update(); // the model signals the top rows only; the rows below repaint too
    int bad = 0, skipped = 0;
    for (const models::TensorHealth& t : outcome.table->tensors) {
        bad += t.nonFinite() > 0 ? 1 : 0;
        skipped += t.scanned ? 0 : 1;
    }
    if (bad > 0) pal.setColor(QPalette::WindowText, models::StatusColors::dangerColor(palette()));
    m_healthLabel->setPalette(pal);
    // "no NaN/Inf" only when every tensor was read; a tensor split over rank files is not (yet) scanned.
    m_healthLabel->setText(bad == 0 && skipped > 0 ? tr("no NaN/Inf (%1 not scanned)").arg(skipped)
                           : bad == 0              ? tr("no NaN/Inf")
                           : bad == 1              ? tr("NaN/Inf in 1 tensor")
                                                   : tr("NaN/Inf in %1 tensors").arg(bad));
    m_healthLabel->setToolTip(skipped > 0 ? tr("%n tensor(s) not scanned (see the NaN/Inf column)", nullptr, skipped)
                                          : tr("Every element of every tensor was read"));
    emit healthShown();
}

QString MainWindow::healthStatusText() const
{
    return m_healthLabel->text();
}

bool MainWindow::healthProgressShown() const
{
    return m_healthProgress->isVisibleTo(this);
}

void MainWindow::restoreSettings()
{
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    m_ui->mainSplitter->restoreState(s.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_ui->sideSplitter->restoreState(s.value(QStringLiteral("window/sideSplitter")).toByteArray());
    m_ui->treeView->header()->restoreState(s.value(QStringLiteral("window/treeHeader")).toByteArray());
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_ui->filterEdit && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        const bool ctrl = key->modifiers() & Qt::ControlModifier;
        const int k = key->key();
        // Up/Down/Page keys, and Ctrl+Home/Ctrl+End (without Ctrl those move the text cursor).
        if (k == Qt::Key_Up || k == Qt::Key_Down || k == Qt::Key_PageUp || k == Qt::Key_PageDown ||
            (ctrl && (k == Qt::Key_Home || k == Qt::Key_End))) {
            QCoreApplication::sendEvent(m_ui->treeView, event);
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::changeEvent(QEvent* event)
{
    QMainWindow::changeEvent(event);
    // Colours drawn into rich text do not follow a palette change by themselves (a dark theme switched on).
    if (event->type() != QEvent::PaletteChange) return;
    m_ui->legendLabel->setText(legendHtml(palette()));
    if (m_doc) m_ui->verdictLabel->setText(verdictHtml(*m_doc, palette()));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("window/mainSplitter"), m_ui->mainSplitter->saveState());
    s.setValue(QStringLiteral("window/sideSplitter"), m_ui->sideSplitter->saveState());
    s.setValue(QStringLiteral("window/treeHeader"), m_ui->treeView->header()->saveState());
    m_loader->cancel();
    cancelHealthScan();
    event->accept();
}

QString MainWindow::lastDir(const QString& key) const
{
    return QSettings().value(key, QSettings().value(QStringLiteral("dirs/open"))).toString();
}

void MainWindow::setLastDir(const QString& key, const QString& file)
{
    QSettings().setValue(key, QFileInfo(file).absolutePath());
}

void MainWindow::chooseAndOpen()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), lastDir(QStringLiteral("dirs/open")),
                                                      QString::fromLatin1(kCheckpointFilter));
    if (file.isEmpty()) return;
    setLastDir(QStringLiteral("dirs/open"), file);
    openFile(file);
}

void MainWindow::chooseAndOpenFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open checkpoint folder (DCP or DeepSpeed)"),
                                                          lastDir(QStringLiteral("dirs/open")));
    if (dir.isEmpty()) return;
    // Remember the folder's parent, as for a file: the next folder is most likely a sibling.
    setLastDir(QStringLiteral("dirs/open"), QDir::cleanPath(dir));
    openFile(dir);
}

void MainWindow::chooseMatchReportFile()
{
    if (!m_report) return;
    const QString base = QFileInfo(m_path).completeBaseName() + QStringLiteral("_match.json");
    const QString file = QFileDialog::getSaveFileName(this, tr("Save match report"),
                                                      QDir(lastDir(QStringLiteral("dirs/report"))).filePath(base),
                                                      tr("JSON (*.json);;Markdown (*.md)"));
    if (file.isEmpty()) return;
    setLastDir(QStringLiteral("dirs/report"), file);
    QString error;
    if (!saveMatchReport(file, &error)) showError(error.toHtmlEscaped(), false);
}

bool MainWindow::saveMatchReport(const QString& path, QString* error)
{
    if (!m_report) {
        if (error) *error = tr("No match report: choose an architecture first.");
        return false;
    }
    const QByteArray bytes = models::matchReportBytes(*m_report, m_path, models::reportFormatForPath(path));
    if (!models::saveReportFile(path, bytes, error)) return false;
    m_statusSummary->setText(tr("Match report saved to %1").arg(path));
    return true;
}

void MainWindow::chooseArchitectureFile(const QString& title, const QString& filter, const QString& settingsKey)
{
    const QString file = QFileDialog::getOpenFileName(this, title, lastDir(settingsKey), filter);
    if (file.isEmpty()) return;
    setLastDir(settingsKey, file);
    m_chooser->setCurrentSpec(file);
    setArchitecture(file);
}

void MainWindow::chooseDiffFile()
{
    if (!m_doc) return;
    // The other file is most often a sibling of the open one (before/after a training step, a repaired copy).
    const QString file = QFileDialog::getOpenFileName(this, tr("Compare with"), QFileInfo(m_path).absolutePath(),
                                                      QString::fromLatin1(kCheckpointFilter));
    if (file.isEmpty()) return;
    openDiff(file);
}

void MainWindow::openFile(const QString& path)
{
    m_loader->open(path);
}

MainWindow* MainWindow::openInNewWindow(const QString& path)
{
    // The written file opens beside the input, so both can be looked at (and compared) side by side.
    auto* window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->resize(size());
    window->move(pos() + QPoint(32, 32));
    window->show();
    window->openFile(path);
    emit newWindowOpened(window);
    return window;
}

void MainWindow::openSample()
{
    const QString sample = SampleFile::checkpointPath();
    const QString arch = SampleFile::architectureSpec();
    if (sample.isEmpty()) {
        showError(tr("The embedded sample could not be extracted to a temporary folder."), false);
        return;
    }
    if (!arch.isEmpty()) {
        m_archSpec = arch;
        m_chooser->setCurrentSpec(arch, tr("tinyresnet (the sample's JSON)"));
    }
    m_samplePath = sample;
    openFile(sample);
}

void MainWindow::setTreeView(models::TreeView view)
{
    g_sessionTreeView = view;
    m_loader->setTreeView(view);
    {
        const QSignalBlocker block(m_viewSwitch);
        m_viewSwitch->setCurrentIndex(m_viewSwitch->findData(int(view)));
    }
    // The same document in the other view, built in the background like any new tree (the match is kept).
    if (m_doc && models::offersWeightsView(*m_doc)) setArchitecture(m_archSpec);
}

void MainWindow::setArchitecture(const QString& spec)
{
    m_archSpec = spec;
    hideError();
    if (!m_doc) return;
    if (spec.isEmpty()) {
        // The plain tree is rebuilt in the background too: 40,000 rows take longer than a frame.
        m_report.reset();
        updateMatchBar();
        m_matcher->match(m_doc, QString(), g_sessionTreeView);
        return;
    }
    m_ui->matchBar->show();
    m_ui->matchSummaryLabel->setText(tr("Checking against %1...").arg(spec.toHtmlEscaped()));
    m_matchSpinner->show();
    m_matcher->match(m_doc, spec, g_sessionTreeView);
}

void MainWindow::onMatched(const MatchOutcome& outcome)
{
    m_matchSpinner->hide();
    if (!outcome.error.isEmpty()) {
        m_report.reset();
        m_retryMatches = true;
        showError(tr("<b>Architecture %1</b>: %2").arg(outcome.archSpec.toHtmlEscaped(), outcome.error.toHtmlEscaped()),
                  true);
        updateMatchBar();
        updateActions();
        emit matchShown();
        return;
    }
    m_report = outcome.report;
    // A new tree for the same file: the tensor the user was on stays current and in view.
    const int currentTensor = m_ui->treeView->currentIndex().data(models::TensorIndexRole).toInt();
    const bool hadCurrent = m_ui->treeView->currentIndex().isValid();
    m_model->setTree(outcome.tree);
    m_detail->setTree(outcome.tree);
    applyFilter();
    m_ui->treeView->expandToDepth(0);
    if (hadCurrent && currentTensor >= 0) {
        const QModelIndex again =
            m_proxy->mapFromSource(m_model->indexForNode(outcome.tree->nodeForTensor(currentTensor)));
        if (again.isValid()) {
            m_ui->treeView->setCurrentIndex(again);
            m_ui->treeView->scrollTo(again);
        }
    }
    updateMatchBar();
    updateActions();
    emit matchShown();
}

void MainWindow::updateMatchBar()
{
    if (!m_report) {
        m_ui->matchBar->setVisible(false);
        return;
    }
    m_ui->matchBar->setVisible(true);
    const QString arch = QString::fromStdString(m_report->archName);
    m_ui->matchSummaryLabel->setText(
        tr("<b>%1</b> against <b>%2</b>")
            .arg(QString::fromStdString(m_report->summaryText()).toHtmlEscaped(), arch.toHtmlEscaped()));
    m_ui->fixButton->setEnabled(m_report->summary.renamed > 0 || m_report->summary.unexpected > 0);
}

bool MainWindow::matchSpinnerShown() const
{
    return m_matchSpinner->isVisibleTo(this);
}

QString MainWindow::matchSummaryText() const
{
    return m_report ? QString::fromStdString(m_report->summaryText()) : QString();
}

void MainWindow::updateActions()
{
    const bool have = m_doc != nullptr;
    const bool hasWeights = have && m_doc->mainWeightSet() != nullptr;
    m_ui->actionCompare->setEnabled(have);
    m_ui->actionFixPrefixes->setEnabled(hasWeights);
    m_ui->actionExport->setEnabled(have);
    m_saveMatchReport->setEnabled(m_report != nullptr);
    // A distributed directory has one export: its tensors, whole, in one file.
    const bool directory = have && m_doc->distributed;
    m_ui->actionExport->setText(directory ? tr("&Consolidate into One File...") : tr("E&xport..."));
    m_ui->actionExport->setToolTip(directory ? tr("Write every tensor of this folder, whole, into one .pth or "
                                                  ".safetensors file")
                                             : tr("Export with another layout, device map or format"));
    m_ui->actionCopyKey->setEnabled(have);
    m_ui->actionCopyPath->setEnabled(have);
    m_ui->actionExpandAll->setEnabled(have);
    m_ui->actionCollapseAll->setEnabled(have);
}

void MainWindow::onStarted(const QString& path)
{
    hideError();
    m_progress->setRange(0, 0); // indeterminate until the first tick says how much there is
    m_progress->show();
    m_cancel->show();
    m_statusSummary->setText(tr("Loading %1...").arg(QFileInfo(path).fileName()));
}

void MainWindow::onProgress(qint64 done, qint64 total)
{
    if (total <= 0) return;
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(done * 1000 / total));
    m_progress->setToolTip(tr("%1 of %2").arg(models::humanBytes(uint64_t(done)), models::humanBytes(uint64_t(total))));
}

void MainWindow::onLoaded(const LoadedDocument& result)
{
    m_progress->hide();
    m_cancel->hide();
    m_doc = result.doc;
    m_path = result.path;
    m_report.reset();
    m_model->setTree(result.tree);
    m_detail->setTree(result.tree);
    m_findings->setDocument(m_doc);
    applyFilter();
    m_ui->treeView->expandToDepth(0);
    m_recent->add(result.path);
    m_security->showFor(*m_doc, result.tree->payloadRows());
    m_viewSwitch->setVisible(models::offersWeightsView(*m_doc));
    {
        const QSignalBlocker block(m_viewSwitch);
        m_viewSwitch->setCurrentIndex(m_viewSwitch->findData(int(result.tree->view())));
    }
    // The first-run sample says what it is, so nobody takes it for one of their own files.
    const bool sample = !m_samplePath.isEmpty() && result.path == m_samplePath;
    setWindowTitle(sample ? tr("Built-in sample: %1 - Checkpoint Inspector").arg(QFileInfo(result.path).fileName())
                          : (m_security->isDangerous() ? tr("DANGEROUS: %1 - Checkpoint Inspector")
                                                       : tr("%1 - Checkpoint Inspector"))
                                .arg(QFileInfo(result.path).fileName()));
    setWindowFilePath(result.path);
    m_wrapperPrefix = result.wrapperPrefix;
    m_repairBanner->setDocument(m_doc, m_path, m_wrapperPrefix);
    m_directoryBanner->showFor(*m_doc);
    watchDocumentFiles();

    const Checkpoint& d = *m_doc;
    size_t tensors = 0;
    for (const TensorInfo& t : d.tensors)
        tensors += t.component ? 0 : 1;
    QString summary = tr("%1 \u00b7 %2 \u00b7 %n tensor(s) \u00b7 %3 parameters \u00b7 %4 \u00b7 opened in %5 ms",
                         nullptr, int(tensors))
                          .arg(QLatin1String(formatName(d.format)), QLatin1String(kindName(d.kind)),
                               models::countText(d.parameterCount()), models::humanBytes(bytesOnDisk(d)))
                          .arg(result.elapsedMs);
    // The wrapper is known at once (as `ckpt info` prints it), before any architecture is chosen.
    summary +=
        QStringLiteral(" \u00b7 ") +
        (m_wrapperPrefix.isEmpty() ? tr("no wrapper prefix") : tr("wrapper `%1` on every key").arg(m_wrapperPrefix));
    summary += QStringLiteral(" \u00b7 ") + locationSummary(d);
    if (sample) summary = tr("Built-in sample (a small DataParallel model; open your own with Ctrl+O): ") + summary;
    m_statusSummary->setText(summary);
    m_ui->verdictLabel->setText(verdictHtml(d, palette()));
    updateActions();
    updateMatchBar();
    m_ui->treeView->setFocus();
    emit documentShown(result.path);
    if (!m_archSpec.isEmpty()) setArchitecture(m_archSpec);
    startHealthScan();
    startRanking();
}

void MainWindow::startRanking()
{
    // The catalog ranked for this file, in the background; a newer file's ranking replaces an older one's.
    m_ranking.clear();
    m_chooser->setRanking({});
    if (!m_doc || !m_doc->mainWeightSet()) {
        runPendingHealthScan(); // nothing to rank: the NaN/Inf scan starts at once
        return;
    }
    const quint64 generation = ++m_rankGeneration;
    auto* watcher = new QFutureWatcher<std::vector<ArchitectureFit>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_rankGeneration) return;
        m_ranker = nullptr;
        m_ranking = watcher->result();
        onRanked();
    });
    m_ranker = watcher;
    CheckpointPtr doc = m_doc;
    watcher->setFuture(QtConcurrent::run([doc] { return rankArchitectures(*doc); }));
}

void MainWindow::onRanked()
{
    m_chooser->setRanking(m_ranking);
    runPendingHealthScan();
    // The best fit is checked at once unless an architecture is already chosen; a poor best fit (under half
    // the keys and shapes) is only offered in the list.
    if (m_archSpec.isEmpty() && !m_ranking.empty() && m_ranking.front().fit >= 0.5) {
        const QString spec = QStringLiteral("builtin:") + QString::fromStdString(m_ranking.front().name);
        m_chooser->setCurrentSpec(spec);
        setArchitecture(spec);
    }
    emit rankingShown();
}

HelpDialog* MainWindow::showHelp(int page)
{
    QList<QAction*> actions;
    for (QAction* action : findChildren<QAction*>())
        if (!action->shortcuts().isEmpty()) actions << action;
    auto* dialog = new HelpDialog(actions, HelpDialog::Page(page), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

QString MainWindow::statusSummaryText() const
{
    return m_statusSummary->text();
}

void MainWindow::onFailed(const QString& path, const QString& reason)
{
    m_security->clear();
    m_directoryBanner->clear();
    m_repairBanner->setDocument(nullptr, QString(), QString());
    m_progress->hide();
    m_cancel->hide();
    m_retryMatches = false;
    m_statusSummary->setText(tr("Could not open %1").arg(QFileInfo(path).fileName()));
    showError(tr("<b>%1</b>: %2").arg(path.toHtmlEscaped(), reason.toHtmlEscaped()), true);
}

void MainWindow::onCancelled(const QString& path)
{
    m_progress->hide();
    m_cancel->hide();
    m_statusSummary->setText(tr("Loading %1 cancelled.").arg(QFileInfo(path).fileName()));
}

void MainWindow::showError(const QString& html, bool retryable)
{
    m_ui->errorLabel->setText(html);
    m_ui->retryButton->setVisible(retryable);
    m_ui->errorBanner->show();
}

void MainWindow::hideError()
{
    m_ui->errorBanner->hide();
}

QString MainWindow::errorText() const
{
    return m_ui->errorLabel->text();
}

bool MainWindow::errorVisible() const
{
    return !m_ui->errorBanner->isHidden();
}

void MainWindow::applyFilter()
{
    const bool ok = m_proxy->setFilter(m_ui->filterEdit->text(), m_ui->regexCheck->isChecked());
    m_ui->filterEdit->setToolTip(ok ? QString() : tr("Invalid regular expression: %1").arg(m_proxy->filterError()));
    QPalette pal = m_ui->filterEdit->palette();
    pal.setColor(QPalette::Text, ok ? palette().color(QPalette::Text) : models::StatusColors::dangerColor(palette()));
    m_ui->filterEdit->setPalette(pal);
    if (!m_ui->filterEdit->text().isEmpty() && m_proxy->visibleLeafCount() < 2000) m_ui->treeView->expandAll();
}

void MainWindow::copySelection(bool fullPath)
{
    QStringList lines;
    const auto rows = m_ui->treeView->selectionModel()->selectedRows(0);
    for (const QModelIndex& i : rows)
        lines << i.data(fullPath ? models::FullPathRole : models::KeyRole).toString();
    if (lines.isEmpty() && m_ui->treeView->currentIndex().isValid())
        lines << m_ui->treeView->currentIndex().data(fullPath ? models::FullPathRole : models::KeyRole).toString();
    if (!lines.isEmpty()) QGuiApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void MainWindow::showContextMenu(const QPoint& pos)
{
    if (!m_ui->treeView->indexAt(pos).isValid()) return;
    QMenu menu(this);
    menu.addAction(m_ui->actionCopyKey);
    menu.addAction(m_ui->actionCopyPath);
    menu.addSeparator();
    menu.addAction(m_ui->actionExpandAll);
    menu.addAction(m_ui->actionCollapseAll);
    menu.addAction(m_ui->actionSortBySize);
    menu.exec(m_ui->treeView->viewport()->mapToGlobal(pos));
}

void MainWindow::onCurrentChanged()
{
    const QModelIndex i = m_ui->treeView->currentIndex();
    m_detail->showNode(i.isValid() ? i.data(models::NodeIdRole).toInt() : 0);
}

RenamePreviewDialog* MainWindow::openFixPrefixes()
{
    if (!m_doc || !m_doc->mainWeightSet()) return nullptr;
    auto* dialog = new RenamePreviewDialog(m_doc, m_path, m_report ? m_report->rule : RenameRule{}, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RenamePreviewDialog::exportDialogOpened, this, [this](ExportDialog* exportDialog) {
        connect(exportDialog, &ExportDialog::openRequested, this, &MainWindow::openInNewWindow);
        emit exportDialogShown(exportDialog);
    });
    dialog->show();
    return dialog;
}

DiffWindow* MainWindow::openDiff(const QString& right, const QString& left)
{
    auto* window = new DiffWindow(this);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setWindowFlag(Qt::Window);
    if (left.isEmpty() && m_doc)
        window->compare(m_doc, m_path, right);
    else
        window->compareFiles(left.isEmpty() ? m_path : left, right);
    window->show();
    return window;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    openFile(urls.first().toLocalFile());
    // A second dropped file means "compare these two".
    if (urls.size() > 1 && urls.at(1).isLocalFile()) openDiff(urls.at(1).toLocalFile(), urls.first().toLocalFile());
}

} // namespace ckpt::app
