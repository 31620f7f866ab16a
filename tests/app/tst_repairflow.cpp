#include <QCryptographicHash>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include "app/exportdialog.h"
#include "app/mainwindow.h"
#include "app/renamepreviewdialog.h"
#include "models/renamepreviewmodel.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;

// The one-click repair driven through the dialogs; real torch.load is the judge of the written file.
class TestRepairFlow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void dataParallelToSingleLoadsStrictInResnet18();
    void destinationNeverTheInput();
    void dangerousFileIsWrittenOnlyWhenAskedToDrop();
};

void TestRepairFlow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestRepairFlow::dataParallelToSingleLoadsStrictInResnet18()
{
    MainWindow w;
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.setArchitecture(QStringLiteral("builtin:resnet18"));
    w.openFile(testing::guiFixture(QStringLiteral("resnet18_dp.pth")));
    QVERIFY(matched.wait(60000));

    RenamePreviewDialog* preview = w.openFixPrefixes();
    QVERIFY(preview);
    QVERIFY(preview->planValid());
    QCOMPARE(preview->previewModel()->rowCount(), 122);
    QCOMPARE(preview->previewModel()->changedCount(), 122);
    QCOMPARE(preview->previewModel()->collisionCount(), 0);
    QCOMPARE(preview->previewModel()->index(0, models::RenamePreviewModel::OldColumn).data().toString(),
             QStringLiteral("module.conv1.weight"));
    QCOMPARE(preview->previewModel()->index(0, models::RenamePreviewModel::NewColumn).data().toString(),
             QStringLiteral("conv1.weight"));

    ExportDialog* dialog = preview->continueToExport();
    QVERIFY(dialog);
    // The default destination sits next to the input under a new name.
    const QString input = testing::guiFixture(QStringLiteral("resnet18_dp.pth"));
    QCOMPARE(QFileInfo(dialog->destination()).absolutePath(), QFileInfo(input).absolutePath());
    QVERIFY(QFileInfo(dialog->destination()).absoluteFilePath() != QFileInfo(input).absoluteFilePath());

    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("resnet18_fixed.pth"));
    dialog->setDestination(out);
    QSignalSpy finished(dialog, &ExportDialog::exportFinished);
    QVERIFY(dialog->startExport());
    QVERIFY(finished.wait(120000));
    QVERIFY2(dialog->succeeded(), qPrintable(dialog->statusText()));
    QCOMPARE(dialog->resultPath(), out);
    QVERIFY(QFile::exists(out));

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
                           {out, input}, &output);
    QVERIFY2(rc == 0, qPrintable(output));

    // "Open result" loads the written file in the main window.
    QSignalSpy shown(&w, &MainWindow::documentShown);
    connect(dialog, &ExportDialog::openRequested, &w, &MainWindow::openFile);
    dialog->openResult();
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.first().first().toString(), out);
}

void TestRepairFlow::destinationNeverTheInput()
{
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth"));
    QVERIFY(doc);
    const QString input = testing::guiFixture(QStringLiteral("resnet18_dp.pth"));
    const QByteArray before = [&] {
        QFile f(input);
        f.open(QIODevice::ReadOnly);
        return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
    }();
    ExportDialog dialog(doc, input, RenameRule{});
    dialog.setDestination(input);
    QVERIFY(!dialog.startExport());
    QVERIFY(dialog.statusText().contains(QStringLiteral("input")));
    QFile f(input);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256), before);
}

// zip_payload_in_metadata.pth (tests/hostile) is a state dict whose `_metadata` holds a posix.system call.
void TestRepairFlow::dangerousFileIsWrittenOnlyWhenAskedToDrop()
{
    const QString input = QStringLiteral(CKPT_SOURCE_DIR "/tests/hostile/corpus/zip_payload_in_metadata.pth");
    Result<CheckpointPtr> loaded = loadCheckpoint(input.toStdString());
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
    ExportDialog dialog(loaded.value(), input, RenameRule{});
    QVERIFY(dialog.offersDropDangerous());
    QVERIFY(!dialog.exportEnabled());
    // An idle dialog offers no "Cancel export" (it once stayed visible until the first export ended).
    for (QPushButton* button : dialog.findChildren<QPushButton*>())
        if (button->text() == QStringLiteral("&Cancel export")) QVERIFY(!button->isVisibleTo(&dialog));
    QVERIFY(!dialog.options().dropDangerous);

    dialog.setDropDangerous(true);
    QVERIFY(dialog.exportEnabled());
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("clean.pth"));
    dialog.setDestination(out);
    QSignalSpy finished(&dialog, &ExportDialog::exportFinished);
    QVERIFY(dialog.startExport());
    QVERIFY(finished.wait(60000));
    QVERIFY2(dialog.succeeded(), qPrintable(dialog.statusText()));
    QVERIFY2(dialog.statusText().contains(QStringLiteral("posix.system")), qPrintable(dialog.statusText()));

    Result<CheckpointPtr> written = loadCheckpoint(out.toStdString());
    QVERIFY(written.ok());
    for (const GlobalRef& ref : written.value()->globals)
        QVERIFY2(ref.severity != Severity::Dangerous, ref.name.c_str());
    QCOMPARE(written.value()->tensors.size(), loaded.value()->tensors.size());

    // A clean file never shows the choice.
    ExportDialog clean(testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth")),
                       testing::guiFixture(QStringLiteral("resnet18_dp.pth")), RenameRule{});
    QVERIFY(!clean.offersDropDangerous());
    QVERIFY(clean.exportEnabled());
}

QTEST_MAIN(TestRepairFlow)
#include "tst_repairflow.moc"
