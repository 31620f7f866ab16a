// The window on distributed checkpoint directories (tests/fixtures/distributed, made by generate_distributed.py:
// genuine torch 1.13 DCP from real gloo ranks, DeepSpeed ZeRO byte-faithful to DeepSpeed's layout): Open Folder
// and drop of a folder, the directory banner (kind, stage, world size, problems), the selected tensor's chunks and
// coverage, and "Consolidate into one file" from the export dialog, checked by real torch (check_export.py:
// torch.load(weights_only=True), bitwise equal to the tensors the generator started from).
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDropEvent>
#include <QMenu>
#include <QMimeData>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "app/detailpane.h"
#include "app/directorybanner.h"
#include "app/exportdialog.h"
#include "app/healthscanjob.h"
#include "app/mainwindow.h"
#include "app/securitybanner.h"
#include "modalanswer.h"
#include "models/checkpointtreemodel.h"
#include "models/chunktablemodel.h"
#include "models/modelroles.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;
using namespace ckpt::models;

namespace
{

QString dir(const QString& name)
{
    return testing::guiFixture(QStringLiteral("distributed/") + name);
}

bool haveFixtures()
{
    return QFileInfo::exists(dir(QStringLiteral("manifest.json")));
}

bool openFolder(MainWindow& w, const QString& name)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    QSignalSpy failed(w.loadController(), &LoadController::failed);
    w.openFile(dir(name));
    return shown.wait(30000) && failed.isEmpty();
}

QModelIndex findKey(const QAbstractItemModel* m, const QString& key, const QModelIndex& parent = {})
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (i.data(KeyRole).toString() == key && i.data(TensorIndexRole).toInt() >= 0) return i;
        const QModelIndex hit = findKey(m, key, i);
        if (hit.isValid()) return hit;
    }
    return {};
}

QModelIndex selectKey(MainWindow& w, const QString& key)
{
    const QModelIndex i = findKey(w.treeView()->model(), key);
    if (i.isValid()) w.treeView()->setCurrentIndex(i);
    return i;
}

ExportDialog* openExportDialog(MainWindow& w)
{
    QAction* exportAction = w.findChild<QAction*>(QStringLiteral("actionExport"));
    if (!exportAction) return nullptr;
    exportAction->trigger();
    return w.findChild<ExportDialog*>();
}

QByteArray sha(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result();
}

// Real torch reads the consolidated file bitwise equal to the generator's own tensors.
QString torchCheck(const QString& out, const QString& expected)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(CKPT_CHECK_EXPORT), out, expected});
    if (!p.waitForFinished(600000)) return QStringLiteral("python timed out");
    const QString text = QString::fromUtf8(p.readAll()).trimmed();
    return p.exitCode() == 0 ? text : QStringLiteral("FAILED: ") + text;
}

} // namespace

class TestDistributedView : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void openFolderActionAndDrop();
    void zeroDirectoryFacts();
    void chunksAndCoverageOfTheSelectedTensor();
    void damagedDirectoryNamesTheFileAndRefusesToConsolidate();
    void consolidatesIntoOneFileCheckedByTorch_data();
    void consolidatesIntoOneFileCheckedByTorch();
};

void TestDistributedView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
    if (!haveFixtures()) QSKIP("no distributed fixtures: run ctest -R generate_distributed_fixtures");
}

void TestDistributedView::openFolderActionAndDrop()
{
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    // File > Open Folder, Ctrl+Shift+O, in the File menu.
    QAction* action = w.openFolderAction();
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+O")));
    bool inFileMenu = false;
    for (QMenu* menu : w.findChildren<QMenu*>(QStringLiteral("menuFile")))
        inFileMenu = inFileMenu || menu->actions().contains(action);
    QVERIFY(inFileMenu);

    // A folder dropped on the window opens as one checkpoint.
    QSignalSpy shown(&w, &MainWindow::documentShown);
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(dir(QStringLiteral("dcp113_w2_single")))});
    // As a real drag does: enter (accepted for URLs), then drop.
    QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &drop);
    QVERIFY(drop.isAccepted());
    QVERIFY(shown.wait(30000));
    QVERIFY(w.document());
    QCOMPARE(QString::fromLatin1(formatName(w.document()->format)), QStringLiteral("dcp"));
    QVERIFY(w.directoryBanner()->isVisible());
    QVERIFY(!w.directoryBanner()->hasProblems());
    const QString banner = w.directoryBanner()->text();
    const nlohmann::json truth = testing::guiTruth(QStringLiteral("distributed/dcp113_w2_single"));
    QVERIFY(truth.is_object());
    // The generator saved these tensors with torch 1.13's DCP on 2 gloo ranks: 2 rank files, no problem.
    QVERIFY2(banner.contains(QStringLiteral("torch 1.13 layout")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("%1 tensors from 2 file(s)").arg(truth["tensors"].size())) ||
                 banner.contains(QStringLiteral("%1 tensor(s) from 2 file(s)").arg(truth["tensors"].size())),
             qPrintable(banner));
    // The status bar counts the directory's bytes, not only .metadata's.
    QVERIFY(w.statusSummaryText().contains(QStringLiteral("dcp")));
    QCOMPARE(w.findChild<QAction*>(QStringLiteral("actionExport"))->text().remove(QLatin1Char('&')),
             QStringLiteral("Consolidate into One File..."));

    // A single file afterwards hides the banner again.
    QSignalSpy again(&w, &MainWindow::documentShown);
    w.openFile(testing::guiFixture(QStringLiteral("small_before.pth")));
    QVERIFY(again.wait(30000));
    QVERIFY(!w.directoryBanner()->isVisible());
}

void TestDistributedView::zeroDirectoryFacts()
{
    MainWindow w;
    w.show();
    // generate_distributed.py writes ds_z2_bf16 as ZeRO stage 2 over 2 data-parallel ranks, tag global_step10.
    QVERIFY(openFolder(w, QStringLiteral("ds_z2_bf16")));
    QCOMPARE(QString::fromLatin1(formatName(w.document()->format)), QStringLiteral("deepspeed"));
    const QString banner = w.directoryBanner()->text();
    QVERIFY2(banner.contains(QStringLiteral("DeepSpeed ZeRO stage 2")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("world size 2")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("global_step10")), qPrintable(banner));
    QVERIFY(!w.directoryBanner()->hasProblems());
    // A master weight: assembled from the optimizer partitions of both ranks, complete.
    QVERIFY(selectKey(w, QStringLiteral("layer.weight")).isValid());
    QVERIFY2(w.detailPane()->factText(QStringLiteral("Role")).contains(QStringLiteral("master")),
             qPrintable(w.detailPane()->factText(QStringLiteral("Role"))));
    QVERIFY(w.detailPane()->factText(QStringLiteral("Coverage")).startsWith(QStringLiteral("complete")));
    QVERIFY(w.detailPane()->chunkModel());
    QVERIFY(w.detailPane()->chunkModel()->rowCount() >= 1);
}

void TestDistributedView::chunksAndCoverageOfTheSelectedTensor()
{
    MainWindow w;
    w.show();
    QVERIFY(openFolder(w, QStringLiteral("dcp113_w2_single")));
    // torch 1.13's ChunkShardingSpec(dim=0) over 2 ranks splits 5 rows as 3 + 2 (ceil(5 / 2) rows per rank),
    // each rank writing its own __R_0.distcp; on dim 1, 6 columns as 3 + 3.
    QVERIFY(selectKey(w, QStringLiteral("rows.weight")).isValid());
    const ChunkTableModel* chunks = w.detailPane()->chunkModel();
    QVERIFY(chunks);
    QAbstractItemModelTester tester(const_cast<ChunkTableModel*>(chunks),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(chunks->rowCount(), 2);
    auto cell = [chunks](int row, int column) { return chunks->index(row, column).data().toString(); };
    QCOMPARE(cell(0, ChunkTableModel::FileColumn), QStringLiteral("__0_0.distcp"));
    QCOMPARE(cell(1, ChunkTableModel::FileColumn), QStringLiteral("__1_0.distcp"));
    QCOMPARE(cell(0, ChunkTableModel::OffsetsColumn), QStringLiteral("[0, 0]"));
    QCOMPARE(cell(0, ChunkTableModel::SizesColumn), QStringLiteral("[3, 3]"));
    QCOMPARE(cell(1, ChunkTableModel::OffsetsColumn), QStringLiteral("[3, 0]"));
    QCOMPARE(cell(1, ChunkTableModel::SizesColumn), QStringLiteral("[2, 3]"));
    QCOMPARE(cell(1, ChunkTableModel::ProblemColumn), QStringLiteral("readable"));
    // The byte range lies inside the rank file.
    const QStringList range = cell(1, ChunkTableModel::BytesColumn).split(QChar(0x2013));
    QCOMPARE(range.size(), 2);
    QVERIFY(range[0].toULongLong() < range[1].toULongLong());
    QVERIFY(range[1].toULongLong() <= quint64(QFileInfo(dir(QStringLiteral("dcp113_w2_single/__1_0.distcp"))).size()));
    QVERIFY(w.detailPane()->factText(QStringLiteral("Role")).startsWith(QStringLiteral("sharded")));
    const QString coverage = w.detailPane()->factText(QStringLiteral("Coverage"));
    QVERIFY2(coverage.startsWith(QStringLiteral("complete")) && coverage.contains(QStringLiteral("15 elements")),
             qPrintable(coverage));
    // Split tensors have no statistics until consolidated; the pane says why instead of failing.
    QVERIFY(w.detailPane()->statsText().contains(QStringLiteral("consolidate")));

    QVERIFY(selectKey(w, QStringLiteral("cols.weight")).isValid());
    QCOMPARE(w.detailPane()->chunkModel()->index(1, ChunkTableModel::OffsetsColumn).data().toString(),
             QStringLiteral("[0, 3]"));
    // A row of a single file has no chunk table.
    w.treeView()->setCurrentIndex({});
    QVERIFY(!w.detailPane()->chunkModel());
    // The NaN/Inf scan reads a split tensor through its chunks, block by block: every tensor of the folder is scanned.
    if (w.healthScanBusy()) QVERIFY(QSignalSpy(&w, &MainWindow::healthShown).wait(60000));
    QVERIFY2(!w.healthStatusText().contains(QStringLiteral("not scanned")), qPrintable(w.healthStatusText()));
    const QString health = selectKey(w, QStringLiteral("rows.weight"))
                               .siblingAtColumn(CheckpointTreeModel::HealthColumn)
                               .data(Qt::ToolTipRole)
                               .toString();
    QVERIFY2(health.startsWith(QStringLiteral("Every element was read")), qPrintable(health));
}

void TestDistributedView::damagedDirectoryNamesTheFileAndRefusesToConsolidate()
{
    MainWindow w;
    w.show();
    // The generator removed rank 1's file from a genuine 1.13 save.
    QVERIFY(openFolder(w, QStringLiteral("dcp_missing_rank")));
    QVERIFY(w.directoryBanner()->isVisible());
    QVERIFY(w.directoryBanner()->hasProblems());
    const QString banner = w.directoryBanner()->text();
    QVERIFY2(banner.contains(QStringLiteral("__1_0.distcp")), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("rows.weight")), qPrintable(banner)); // incomplete: half its rows
    // What is intact is still listed: the replicated bias lives in rank 0's file.
    QVERIFY(selectKey(w, QStringLiteral("bias")).isValid());
    QVERIFY(w.detailPane()->factText(QStringLiteral("Coverage")).startsWith(QStringLiteral("complete")));
    QVERIFY(selectKey(w, QStringLiteral("rows.weight")).isValid());
    const QString coverage = w.detailPane()->factText(QStringLiteral("Coverage"));
    QVERIFY2(coverage.startsWith(QStringLiteral("NOT complete")) && coverage.contains(QStringLiteral("__1_0.distcp")),
             qPrintable(coverage));
    // torch's ChunkShardingSpec splits 5 rows over 2 ranks as torch.chunk does (3 + 2): rank 0's file, the one
    // left, holds 3 x 3 of the 15 elements; the 6 of the missing file are not counted as covered.
    QVERIFY2(coverage.contains(QStringLiteral("9 of 15 elements readable")), qPrintable(coverage));
    // Said once: the directory strip names the missing file; the security strip neither repeats it nor speaks
    // of torch.load, which does not read a folder.
    const QString security = w.securityBanner()->isVisible() ? w.securityBanner()->text() : QString();
    QVERIFY2(!security.contains(QStringLiteral("__1_0.distcp")) && !security.contains(QStringLiteral("rows.weight")) &&
                 !security.contains(QStringLiteral("torch.load")),
             qPrintable(security));

    ExportDialog* dialog = openExportDialog(w);
    QVERIFY(dialog);
    QVERIFY(dialog->consolidating());
    QVERIFY(!dialog->exportEnabled());
    QVERIFY2(dialog->planText().startsWith(QStringLiteral("Refused")) &&
                 dialog->planText().contains(QStringLiteral("rows.weight")),
             qPrintable(dialog->planText()));
    dialog->close();
}

void TestDistributedView::consolidatesIntoOneFileCheckedByTorch_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("safetensors");
    QTest::newRow("dcp 1.13 torch") << "dcp113_w3_uneven" << false;
    QTest::newRow("zero-3 torch") << "ds_z3_bf16" << false;
    QTest::newRow("zero-2 safetensors") << "ds_z2_bf16" << true;
}

void TestDistributedView::consolidatesIntoOneFileCheckedByTorch()
{
    QFETCH(QString, name);
    QFETCH(bool, safetensors);
    MainWindow w;
    w.show();
    QVERIFY(openFolder(w, name));
    ExportDialog* dialog = openExportDialog(w);
    QVERIFY(dialog);
    QVERIFY(dialog->consolidating());
    QCOMPARE(dialog->windowTitle(), QStringLiteral("Consolidate into one file"));
    auto* layout = dialog->findChild<QComboBox*>(QStringLiteral("layoutCombo"));
    QVERIFY(layout && layout->currentText().startsWith(QStringLiteral("Consolidate into one file")));
    QVERIFY(dialog->exportEnabled());
    // The default destination is beside the folder, never inside it.
    QCOMPARE(QFileInfo(dialog->destination()).absolutePath(), QFileInfo(dir(name)).absolutePath());
    if (safetensors) dialog->setFormat(ExportFormat::Safetensors);

    QTemporaryDir tmp;
    const QString out = tmp.filePath(safetensors ? QStringLiteral("whole.safetensors") : QStringLiteral("whole.pth"));
    dialog->setDestination(out);
    QSignalSpy finished(dialog, &ExportDialog::exportFinished);
    QVERIFY(dialog->startExport());
    QVERIFY(dialog->isRunning()); // in a worker: the call returned before the file was written
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.first().first().toBool(), qPrintable(dialog->statusText()));
    QCOMPARE(dialog->resultPath(), out);
    const QString verdict = torchCheck(out, dir(name) + QStringLiteral(".expected.pt"));
    QVERIFY2(verdict.startsWith(QStringLiteral("ok")), qPrintable(verdict));

    // Never overwritten without asking: Cancel keeps the file as it was and writes nothing.
    const QByteArray before = sha(out);
    int asked = 0;
    testing::answerNextMessageBox(QStringLiteral("Cancel"), &asked);
    QVERIFY(!dialog->startExport());
    QCOMPARE(asked, 1);
    QCOMPARE(sha(out), before);
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Files).size(), 1); // no temporary left behind
    dialog->close();
}

QTEST_MAIN(TestDistributedView)
#include "tst_distributedview.moc"
