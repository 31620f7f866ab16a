#include "app/screenshottour.h"

#include <cstdio>

#include <QAbstractItemModel>
#include <QApplication>
#include <QDir>
#include <QPalette>
#include <QSplitter>
#include <QTemporaryDir>
#include <QTreeView>

#include "app/detailpane.h"
#include "app/diffwindow.h"
#include "app/directorybanner.h"
#include "app/exportdialog.h"
#include "app/healthscanjob.h"
#include "app/mainwindow.h"
#include "app/renamepreviewdialog.h"
#include "app/signalwaiter.h"
#include "core/edit/renameplan.h"
#include "models/checkpointtreemodel.h"
#include "models/modelroles.h"
#include "models/treefilterproxy.h"

namespace ckpt::app
{

namespace
{

// Settles layouts and paints before a grab.
void settle()
{
    for (int i = 0; i < 5; ++i)
        QApplication::processEvents(QEventLoop::AllEvents, 50);
}

QModelIndex findKey(QAbstractItemModel* model, const QString& key, const QModelIndex& parent = {})
{
    for (int r = 0; r < model->rowCount(parent); ++r) {
        const QModelIndex i = model->index(r, 0, parent);
        if (i.data(models::KeyRole).toString() == key) return i;
        const QModelIndex hit = findKey(model, key, i);
        if (hit.isValid()) return hit;
    }
    return {};
}

// A dark palette like the ones desktop themes ship, to check that every colour stays readable on it.
QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2b, 0x2b), base(0x1e, 0x1e, 0x1e), text(0xe6, 0xe6, 0xe6);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xd6));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Mid, QColor(0x50, 0x50, 0x50));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    return p;
}

} // namespace

ScreenshotTour::ScreenshotTour(MainWindow* window, const QString& dir, QObject* parent)
    : QObject(parent), m_window(window), m_dir(dir)
{
}

bool ScreenshotTour::save(QWidget* widget, const QString& name)
{
    settle();
    const QString path = QDir(m_dir).filePath(name);
    const bool ok = widget->grab().save(path);
    std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "FAILED", qPrintable(path));
    return ok;
}

bool ScreenshotTour::run()
{
    QDir().mkpath(m_dir);
    m_window->resize(1240, 760);
    if (!waitForSignal(
            m_window, &MainWindow::matchShown, [this] { m_window->openSample(); }, 30000))
        return false;
    // The NaN/Inf column is filled a moment later by the background scan: shown filled.
    if (m_window->healthScanBusy())
        waitForSignal(
            m_window, &MainWindow::healthShown, [] {}, 60000);
    // The first screen: overview, repair banner and the match, at the default size, at 1024x700 and dark.
    bool ok = save(m_window, QStringLiteral("first-open.png"));
    m_window->resize(1024, 700);
    ok &= save(m_window, QStringLiteral("first-open-1024.png"));
    const QPalette light = QApplication::palette();
    QApplication::setPalette(darkPalette());
    ok &= save(m_window, QStringLiteral("first-open-dark.png"));
    QApplication::setPalette(light);
    m_window->resize(1240, 760);

    QTreeView* tree = m_window->treeView();
    // Show the hierarchy down to the first block so the prefix and the statuses are visible.
    const QModelIndex conv = findKey(tree->model(), QStringLiteral("module.layer1.0.conv1.weight"));
    if (conv.isValid()) {
        tree->expand(conv.parent().parent().parent());
        tree->expand(conv.parent().parent());
        tree->expand(conv.parent());
    }
    const QModelIndex pick = findKey(tree->model(), QStringLiteral("module.conv1.weight"));
    if (pick.isValid())
        waitForSignal(
            m_window->detailPane(), &DetailPane::statsFinished, [&] { tree->setCurrentIndex(pick); }, 60000);
    ok &= save(m_window, QStringLiteral("main-window.png"));
    // The histogram on its own: give the detail pane the whole side for this one picture.
    if (auto* side = m_window->findChild<QSplitter*>(QStringLiteral("sideSplitter"))) {
        const QList<int> sizes = side->sizes();
        side->setSizes({sizes.value(0) + sizes.value(1) - 60, 60});
        ok &= save(m_window->detailPane(), QStringLiteral("histogram.png"));
        side->setSizes(sizes);
    }

    RenamePreviewDialog* preview = m_window->openFixPrefixes();
    if (!preview) return false;
    preview->resize(860, 520);
    ok &= save(preview, QStringLiteral("repair-preview.png"));
    ExportDialog* exporter = preview->continueToExport();
    if (!exporter) return false;
    QTemporaryDir out;
    exporter->setDestination(QDir(out.path()).filePath(QStringLiteral("tinyresnet_fixed.pth")));
    exporter->resize(640, 500);
    const bool exported = waitForSignal(
        exporter, &ExportDialog::exportFinished, [&] { exporter->startExport(); }, 60000);
    ok &= save(exporter, QStringLiteral("export-dialog.png"));
    if (!exported || !exporter->succeeded()) return false;

    // The diff's answer arrives through the event loop, so connecting after openDiff() misses nothing.
    DiffWindow* diff = m_window->openDiff(exporter->resultPath());
    for (int i = 0; i < 3 && !(diff->diff() && diff->diff()->valuesCompared && !diff->isBusy()); ++i)
        waitForSignal(
            diff, &DiffWindow::ready, [] {}, 60000);
    exporter->close();
    diff->resize(1240, 640);
    const QModelIndex block = findKey(diff->leftView()->model(), QStringLiteral("layer1"));
    if (block.isValid()) diff->leftView()->expand(block);
    ok &= save(diff, QStringLiteral("diff-window.png"));
    diff->close();
    if (!m_folder.isEmpty()) ok &= runDistributed();
    return ok;
}

bool ScreenshotTour::runDistributed()
{
    m_window->resize(1240, 760);
    // The sample's own architecture does not apply to another checkpoint.
    m_window->findChild<QAction*>(QStringLiteral("actionClearArchitecture"))->trigger();
    if (!waitForSignal(
            m_window, &MainWindow::documentShown, [this] { m_window->openFile(m_folder); }, 60000))
        return false;
    settle();
    // The first tensor split over several ranks: its chunks and coverage fill the detail pane.
    const Checkpoint& doc = *m_window->document();
    QTreeView* tree = m_window->treeView();
    if (doc.distributed) {
        for (const distributed::VirtualTensor& t : doc.distributed->tensors) {
            if (t.chunks.size() < 2) continue;
            const QModelIndex row = findKey(tree->model(), QString::fromStdString(t.key));
            if (!row.isValid()) continue;
            tree->setCurrentIndex(row);
            tree->scrollTo(row);
            break;
        }
    }
    bool ok = save(m_window, QStringLiteral("distributed-view.png"));
    m_window->findChild<QAction*>(QStringLiteral("actionExport"))->trigger();
    auto* dialog = m_window->findChild<ExportDialog*>();
    if (!dialog) return false;
    QTemporaryDir out;
    dialog->setDestination(QDir(out.path()).filePath(QStringLiteral("consolidated.pth")));
    dialog->resize(640, 420);
    const bool done = waitForSignal(
        dialog, &ExportDialog::exportFinished, [&] { dialog->startExport(); }, 120000);
    ok &= save(dialog, QStringLiteral("consolidate-dialog.png"));
    dialog->close();
    return ok && done && dialog->succeeded();
}

} // namespace ckpt::app
