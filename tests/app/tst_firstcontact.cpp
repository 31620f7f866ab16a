#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QHeaderView>
#include <QLineEdit>
#include <QProcess>
#include <QProcessEnvironment>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTreeView>

#include "app/architecturechooser.h"
#include "app/detailpane.h"
#include "app/diffwindow.h"
#include "app/exportdialog.h"
#include "app/helpdialog.h"
#include "app/mainwindow.h"
#include "app/overviewpanel.h"
#include "app/renamepreviewdialog.h"
#include "app/repairbanner.h"
#include "app/securitybanner.h"
#include "modalanswer.h"
#include "models/checkpointtreemodel.h"
#include "models/modelroles.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;
using namespace ckpt::models;

namespace
{

// Every row of a model, depth first (parents before children).
void collectRows(const QAbstractItemModel* m, const QModelIndex& parent, QList<QModelIndex>& out)
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        out << i;
        collectRows(m, i, out);
    }
}

// A row two levels down (a module inside a module), collapsed by the window's first expansion to depth 0.
QModelIndex secondLevelGroup(const QTreeView* view)
{
    QList<QModelIndex> rows;
    collectRows(view->model(), {}, rows);
    for (const QModelIndex& i : std::as_const(rows))
        if (i.parent().isValid() && i.parent().parent().isValid() && view->model()->rowCount(i) > 0) return i;
    return {};
}

bool waitShown(MainWindow& w, const QString& path)
{
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openFile(path);
    return shown.wait(60000);
}

// Opens the file and waits until the background ranking (and the automatic check it may start) is done.
bool openAndSettle(MainWindow& w, const QString& path)
{
    QSignalSpy ranked(&w, &MainWindow::rankingShown);
    QSignalSpy matched(&w, &MainWindow::matchShown);
    if (!waitShown(w, path)) return false;
    if (!w.document()->mainWeightSet()) return true;
    if (ranked.isEmpty() && !ranked.wait(60000)) return false;
    if (w.architectureSpec().isEmpty()) return true;
    return !matched.isEmpty() || matched.wait(60000);
}

QByteArray sha256(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

// The first minutes of a new user, driven through the real window (issue 15, majors 1-5 and 8, one-click repair).
class TestFirstContact : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void shortcutsWorkFromTheTextFields();
    void dangerousFileHasBannerAndMarkedRows();
    void payloadInsideAStateDictIsMarked();
    void cleanFileHasNoBanner();
    void exportAsksBeforeReplacingAndKeepsTheDestination();
    void statusColumnVisibleAt1024();
    void diffPanesScrollSidewaysTogether();
    void wrapperShownAtOnceAndRepairedInOneClick();
    void architectureFoundNotChosen();
    void helpManualShortcutsAndCommandLine();
};

void TestFirstContact::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestFirstContact::shortcutsWorkFromTheTextFields()
{
    MainWindow w;
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_dp.pth"))));
    // The tree has the keyboard at start-up, not the filter box.
    QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(w.treeView()));

    auto* filter = w.findChild<QLineEdit*>(QStringLiteral("filterEdit"));
    QVERIFY(filter);
    const QModelIndex deep = secondLevelGroup(w.treeView());
    QVERIFY(deep.isValid());
    QVERIFY(!w.treeView()->isExpanded(deep));
    // Ctrl+Shift+Right (expand all) and Ctrl+Shift+Left (collapse all) with the filter box focused.
    filter->setFocus();
    QTRY_COMPARE(QApplication::focusWidget(), static_cast<QWidget*>(filter));
    QTest::keyClick(filter, Qt::Key_Right, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(w.treeView()->isExpanded(deep));
    QTest::keyClick(filter, Qt::Key_Left, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(!w.treeView()->isExpanded(deep));

    // Ctrl+E (fix prefixes) from the filter box and from the architecture box.
    QTest::keyClick(filter, Qt::Key_E, Qt::ControlModifier);
    QTRY_VERIFY(w.findChild<RenamePreviewDialog*>() && w.findChild<RenamePreviewDialog*>()->isVisible());
    w.findChild<RenamePreviewDialog*>()->close();
    QTRY_VERIFY(!w.findChild<RenamePreviewDialog*>());
    auto* combo = w.architectureChooser()->findChild<QComboBox*>();
    QVERIFY(combo && combo->lineEdit());
    w.activateWindow(); // the closed dialog had the focus
    QVERIFY(QTest::qWaitForWindowActive(&w));
    combo->lineEdit()->setFocus();
    QTRY_VERIFY(QApplication::focusWidget() == combo || QApplication::focusWidget() == combo->lineEdit());
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_E, Qt::ControlModifier);
    QTRY_VERIFY(w.findChild<RenamePreviewDialog*>() && w.findChild<RenamePreviewDialog*>()->isVisible());
    w.findChild<RenamePreviewDialog*>()->close();
    QTRY_VERIFY(!w.findChild<RenamePreviewDialog*>());

    // Choosing an architecture hands the keyboard back to the tree.
    QSignalSpy matched(&w, &MainWindow::matchShown);
    const int index = combo->findData(QStringLiteral("builtin:resnet34"));
    QVERIFY(index > 0);
    combo->setCurrentIndex(index);
    emit combo->activated(index);
    // The window's own focus child (the window itself may be inactive after the dialog closed).
    QTRY_COMPARE(w.focusWidget(), static_cast<QWidget*>(w.treeView()));
    QVERIFY(matched.wait(60000));
    QCOMPARE(w.architectureSpec(), QStringLiteral("builtin:resnet34"));
}

// hostile_getattr_chain.pth (tests/fixtures/fixture_hostile.py): its whole pickle is
// getattr(__import__('os'), 'system')(command), so the root is the payload and there is no container at all.
void TestFirstContact::dangerousFileHasBannerAndMarkedRows()
{
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QSignalSpy failed(w.loadController(), &LoadController::failed);
    QVERIFY(waitShown(w, testing::guiFixture(QStringLiteral("hostile_getattr_chain.pth"))));
    QCOMPARE(w.document()->verdict(), Severity::Dangerous);
    QVERIFY(w.securityBanner()->isVisible());
    QVERIFY(w.securityBanner()->isDangerous());
    QVERIFY2(w.securityBanner()->text().contains(QStringLiteral("Dangerous file")),
             qPrintable(w.securityBanner()->text()));
    // Above everything else in the window's body.
    QVERIFY(w.securityBanner()->mapTo(&w, QPoint(0, 0)).y() < w.treeView()->mapTo(&w, QPoint(0, 0)).y());
    QVERIFY(w.securityBanner()->mapTo(&w, QPoint(0, 0)).y() <= w.centralWidget()->mapTo(&w, QPoint(0, 0)).y() + 8);
    QVERIFY(w.windowTitle().startsWith(QStringLiteral("DANGEROUS")));
    // The tree is not empty: the root call is the one row, marked as the payload.
    QList<QModelIndex> rows;
    collectRows(w.treeView()->model(), {}, rows);
    QVERIFY(!rows.isEmpty());
    int payloadRows = 0;
    for (const QModelIndex& i : std::as_const(rows))
        payloadRows += i.data(PayloadRole).toBool() ? 1 : 0;
    QVERIFY(payloadRows > 0);
    QVERIFY(!rows.first().data(Qt::DecorationRole).value<QIcon>().isNull());
    // No one-click repair for a dangerous file.
    QVERIFY(!w.repairBanner()->isVisible());
}

// zip_payload_in_metadata.pth (tests/hostile): a real state dict whose `_metadata` calls posix.system.
void TestFirstContact::payloadInsideAStateDictIsMarked()
{
    MainWindow w;
    QVERIFY(waitShown(w, QStringLiteral(CKPT_SOURCE_DIR "/tests/hostile/corpus/zip_payload_in_metadata.pth")));
    QCOMPARE(w.document()->verdict(), Severity::Dangerous);
    QVERIFY(w.securityBanner()->isDangerous());
    QList<QModelIndex> rows;
    collectRows(w.treeModel(), {}, rows);
    QStringList marked;
    int tensorsMarked = 0;
    for (const QModelIndex& i : std::as_const(rows)) {
        if (!i.data(PayloadRole).toBool()) continue;
        marked << i.data(FullPathRole).toString();
        tensorsMarked += i.data(TensorIndexRole).toInt() >= 0 ? 1 : 0;
    }
    QVERIFY2(!marked.isEmpty(), "no payload row marked");
    QVERIFY2(std::any_of(marked.begin(), marked.end(), [](const QString& p) { return p.contains("_metadata"); }),
             qPrintable(marked.join(", ")));
    QCOMPARE(tensorsMarked, 0); // the weights themselves are not the payload
    QVERIFY(w.securityBanner()->text().contains(QStringLiteral("posix.system")));
}

void TestFirstContact::cleanFileHasNoBanner()
{
    MainWindow w;
    QVERIFY(waitShown(w, testing::guiFixture(QStringLiteral("resnet18_sd.pth"))));
    QVERIFY(!w.securityBanner()->isVisibleTo(&w));
    QVERIFY(!w.windowTitle().startsWith(QStringLiteral("DANGEROUS")));
}

void TestFirstContact::exportAsksBeforeReplacingAndKeepsTheDestination()
{
    const QString input = testing::guiFixture(QStringLiteral("resnet18_dp.pth"));
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth"));
    QVERIFY(doc);
    QTemporaryDir dir;
    const QString typed = dir.filePath(QStringLiteral("mine.pth"));
    {
        QFile f(typed);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
    }
    ExportDialog dialog(doc, input, RenameRule{});
    dialog.show();
    dialog.setDestination(typed); // as typed into the field

    // "Cancel" keeps the existing file as it was.
    int asked = 0;
    QString question;
    testing::answerNextMessageBox(QStringLiteral("Cancel"), &asked, &question);
    QVERIFY(!dialog.startExport());
    QCOMPARE(asked, 1);
    QVERIFY2(question.contains(QStringLiteral("mine.pth")), qPrintable(question));
    QFile kept(typed);
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray("precious"));
    kept.close();

    // "Replace" writes it.
    testing::answerNextMessageBox(QStringLiteral("Replace"), &asked);
    QSignalSpy finished(&dialog, &ExportDialog::exportFinished);
    QVERIFY(dialog.startExport());
    QCOMPARE(asked, 2);
    QVERIFY(finished.wait(120000));
    QVERIFY2(dialog.succeeded(), qPrintable(dialog.statusText()));
    QCOMPARE(dialog.resultPath(), typed);
    Result<CheckpointPtr> written = loadCheckpoint(typed.toStdString());
    QVERIFY(written.ok());
    QCOMPARE(written.value()->tensors.size(), doc->tensors.size());

    // The destination field still says where the user chose; a second export asks again about that file.
    QCOMPARE(dialog.destination(), typed);
    const QByteArray first = sha256(typed);
    testing::answerNextMessageBox(QStringLiteral("Cancel"), &asked, &question);
    QVERIFY(!dialog.startExport());
    QCOMPARE(asked, 3);
    QVERIFY(question.contains(QStringLiteral("mine.pth")));
    QCOMPARE(sha256(typed), first);
    // Nothing was written into the input's folder under a default name.
    QVERIFY(!QFile::exists(testing::guiFixture(QStringLiteral("resnet18_dp_fixed.pth"))));
}

void TestFirstContact::statusColumnVisibleAt1024()
{
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_dp.pth"))));
    QTRY_VERIFY(w.width() <= 1024);
    QHeaderView* header = w.treeView()->header();
    const int right = header->sectionViewportPosition(CheckpointTreeModel::StatusColumn) +
                      header->sectionSize(CheckpointTreeModel::StatusColumn);
    QVERIFY2(right <= w.treeView()->viewport()->width(),
             qPrintable(QStringLiteral("Status ends at %1 of %2").arg(right).arg(w.treeView()->viewport()->width())));
    QVERIFY(header->sectionSize(CheckpointTreeModel::NameColumn) >= 120);
    // A group row's location is a place, not a count.
    const QModelIndex group = w.treeModel()->index(0, CheckpointTreeModel::LocationColumn);
    QCOMPARE(group.data().toString(), QStringLiteral("cpu"));
}

void TestFirstContact::diffPanesScrollSidewaysTogether()
{
    MainWindow w;
    QVERIFY(waitShown(w, testing::guiFixture(QStringLiteral("small_before.pth"))));
    DiffWindow* diff = w.openDiff(testing::guiFixture(QStringLiteral("small_after_adam.pth")));
    diff->resize(1024, 700);
    QVERIFY(QTest::qWaitForWindowExposed(diff));
    for (QTreeView* v : {diff->leftView(), diff->rightView()}) {
        const int last = v->header()->count() - 1;
        QVERIFY2(v->header()->sectionViewportPosition(last) + v->header()->sectionSize(last) <= v->viewport()->width(),
                 "the status column is off-screen at 1024 pixels");
    }
    // Widen a column on both sides so there is something to scroll, then scroll the left pane only.
    for (QTreeView* v : {diff->leftView(), diff->rightView()})
        v->setColumnWidth(3, 900);
    QTRY_VERIFY(diff->leftView()->horizontalScrollBar()->maximum() > 0);
    diff->leftView()->horizontalScrollBar()->setValue(120);
    QCOMPARE(diff->rightView()->horizontalScrollBar()->value(), 120);
    diff->rightView()->horizontalScrollBar()->setValue(40);
    QCOMPARE(diff->leftView()->horizontalScrollBar()->value(), 40);

    // F8 / Shift+F8 walk the differences (small_bf16 has every floating tensor in bfloat16).
    DiffWindow* bf16 = w.openDiff(testing::guiFixture(QStringLiteral("small_bf16.pth")));
    QSignalSpy ready(bf16, &DiffWindow::ready);
    QVERIFY(QTest::qWaitForWindowExposed(bf16));
    QVERIFY(ready.wait(60000));
    bf16->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(bf16));
    QVERIFY2(bf16->goToDifference(true), qPrintable(bf16->summaryText()));
    bf16->leftView()->setCurrentIndex({});
    QTest::keyClick(bf16->leftView(), Qt::Key_F8);
    const QModelIndex first = bf16->leftView()->currentIndex();
    QVERIFY2(first.isValid(), qPrintable(bf16->summaryText()));
    QVERIFY(bf16->leftView()->model()->rowCount(first) == 0); // a tensor row, not a group
    QTest::keyClick(bf16->leftView(), Qt::Key_F8);
    const QModelIndex second = bf16->leftView()->currentIndex();
    QVERIFY(second.isValid() && second != first);
    QCOMPARE(bf16->rightView()->currentIndex().data(NodeIdRole), second.data(NodeIdRole));
    QTest::keyClick(bf16->leftView(), Qt::Key_F8, Qt::ShiftModifier);
    QCOMPARE(bf16->leftView()->currentIndex(), first);
}

// From launch with a DataParallel resnet18 to a verified repaired file: one click, judged by real torch.
void TestFirstContact::wrapperShownAtOnceAndRepairedInOneClick()
{
    QTemporaryDir dir;
    const QString input = dir.filePath(QStringLiteral("resnet18_dp.pth"));
    QVERIFY(QFile::copy(testing::guiFixture(QStringLiteral("resnet18_dp.pth")), input));
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(waitShown(w, input));
    // The wrapper is shown at once, without choosing an architecture (ckpt info says the same).
    QVERIFY2(w.statusSummaryText().contains(QStringLiteral("wrapper `module.` on every key")),
             qPrintable(w.statusSummaryText()));
    QVERIFY(w.repairBanner()->isVisible());
    QVERIFY(w.repairBanner()->statusText().contains(QStringLiteral("`module.` on every key")));
    const QString expected = dir.filePath(QStringLiteral("resnet18_dp_fixed.pth"));
    QCOMPARE(w.repairBanner()->destination(), expected);
    // The overview comes first: torchvision's resnet18 has 62 parameters and 60 batch-norm buffers, 7 top-level
    // modules (conv1, bn1, layer1-4, fc).
    OverviewPanel* overview = w.detailPane()->overview();
    QVERIFY(overview->isVisible());
    QVERIFY2(overview->text().contains(QStringLiteral("62 parameters, 60 buffers")), qPrintable(overview->text()));
    QVERIFY(overview->text().contains(QStringLiteral("`module.` on every key")));
    QVERIFY(overview->text().contains(QStringLiteral("float32: 102 tensors")));
    QCOMPARE(overview->chartBars(), 7);

    auto* repair = w.repairBanner()->findChild<QPushButton*>(QStringLiteral("repairButton"));
    QVERIFY(repair && repair->isVisible());
    QSignalSpy done(w.repairBanner(), &RepairBanner::repairFinished);
    QTest::mouseClick(repair, Qt::LeftButton); // the one click
    QVERIFY(done.wait(120000));
    QVERIFY2(done.first().at(0).toBool(), qPrintable(w.repairBanner()->statusText()));
    QCOMPARE(done.first().at(1).toString(), expected);
    QVERIFY(w.repairBanner()->statusText().contains(QStringLiteral("verified")));
    QVERIFY(w.repairBanner()->findChild<QPushButton*>(QStringLiteral("openRepairedButton"))->isVisible());

    QString output;
    const int rc =
        testing::runPython(QStringLiteral("import sys, torch, torchvision\n"
                                          "sd = torch.load(sys.argv[1])\n"
                                          "ref = torch.load(sys.argv[2])\n"
                                          "m = torchvision.models.resnet18()\n"
                                          "m.load_state_dict(sd, strict=True)\n"
                                          "assert list(sd) == [k[len('module.'):] for k in ref]\n"
                                          "assert all(torch.equal(sd[k[len('module.'):]], v) for k, v in ref.items())\n"
                                          "print('ok')\n"),
                           {expected, input}, &output, 600000);
    QVERIFY2(rc == 0, qPrintable(output));

    // A second Repair would replace the file: it asks first, and Cancel leaves it alone.
    const QByteArray before = sha256(expected);
    w.repairBanner()->setDocument(w.document(), input, QStringLiteral("module."));
    int asked = 0;
    testing::answerNextMessageBox(QStringLiteral("Cancel"), &asked);
    QVERIFY(!w.repairBanner()->repair());
    QCOMPARE(asked, 1);
    QCOMPARE(sha256(expected), before);

    // Open loads the repaired file, which has no wrapper left, so the offer is gone.
    QVERIFY(done.count() == 1);
    w.repairBanner()->setDocument(w.document(), input, QStringLiteral("module."));
    testing::answerNextMessageBox(QStringLiteral("Replace"), &asked);
    QVERIFY(w.repairBanner()->repair());
    QVERIFY(done.wait(120000));
    QSignalSpy shown(&w, &MainWindow::documentShown);
    QTest::mouseClick(w.repairBanner()->findChild<QPushButton*>(QStringLiteral("openRepairedButton")), Qt::LeftButton);
    QVERIFY(shown.wait(60000));
    QCOMPARE(shown.first().first().toString(), expected);
    QVERIFY(!w.repairBanner()->isVisible());
    QVERIFY(w.statusSummaryText().contains(QStringLiteral("no wrapper prefix")));
}

void TestFirstContact::architectureFoundNotChosen()
{
    MainWindow w;
    QVERIFY(openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_dp.pth"))));
    QVERIFY(!w.ranking().empty());
    QCOMPARE(QString::fromStdString(w.ranking().front().name), QStringLiteral("resnet18"));
    QCOMPARE(w.ranking().front().fit, 1.0);
    // Checked against the best automatically, and the chooser lists the ranking best first with its fit.
    QCOMPARE(w.architectureSpec(), QStringLiteral("builtin:resnet18"));
    QVERIFY(w.matchReport());
    QCOMPARE(w.matchReport()->summary.renamed, size_t(122));
    const QStringList entries = w.architectureChooser()->entryTexts();
    QVERIFY2(entries.value(1).startsWith(QStringLiteral("resnet18  100% fit")), qPrintable(entries.value(1)));
    QCOMPARE(w.architectureChooser()->currentSpec(), QStringLiteral("builtin:resnet18"));

    // A 10-class head still finds resnet18 first, with a fit below 100%.
    MainWindow head;
    QVERIFY(openAndSettle(head, testing::guiFixture(QStringLiteral("resnet18_head10.pth"))));
    QCOMPARE(QString::fromStdString(head.ranking().front().name), QStringLiteral("resnet18"));
    QVERIFY(head.ranking().front().fit < 1.0);
    QVERIFY(head.matchSummaryText().contains(QStringLiteral("2 shape mismatches")));
}

void TestFirstContact::helpManualShortcutsAndCommandLine()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTest::keyClick(w.treeView(), Qt::Key_F1);
    HelpDialog* help = nullptr;
    QTRY_VERIFY((help = w.findChild<HelpDialog*>()) != nullptr);
    QCOMPARE(help->currentPage(), int(HelpDialog::ManualPage));
    QVERIFY(help->manualText().contains(QStringLiteral("What the banners mean")));
    const QStringList keys = help->shortcutLines();
    for (const QString& expected :
         {QStringLiteral("Ctrl+E\t"), QStringLiteral("F1\t"), QStringLiteral("Ctrl+Shift+Right\t")})
        QVERIFY2(std::any_of(keys.begin(), keys.end(), [&](const QString& l) { return l.startsWith(expected); }),
                 qPrintable(keys.join(QLatin1Char('\n'))));
    help->close();

#ifdef CKPT_GUI_EXE
    // --help needs no display: no platform plugin may be loaded for it.
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CKPT_GUI_EXE), {QStringLiteral("--help")});
    QVERIFY(p.waitForFinished(180000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(out.contains(QStringLiteral("--diff")) && out.contains(QStringLiteral("FILE")), qPrintable(out));
#endif
}

QTEST_MAIN(TestFirstContact)
#include "tst_firstcontact.moc"
