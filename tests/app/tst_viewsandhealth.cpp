// Third review of the window: a whole pickled model opens on its weights (by state-dict name, as torch's
// model.state_dict() names them) with a switch to the Python objects, remembered for the session; the NaN/Inf
// column is filled by a background scan of the whole file (counts checked against torch.isnan/isinf of a file
// real torch wrote); the 1024x700 first screen shows the whole architecture name and unclipped overview facts;
// the current row stays in view after Ctrl+End and after the filter is cleared.
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>

#include <atomic>

#include "app/architecturechooser.h"
#include "app/detailpane.h"
#include "app/exportdialog.h"
#include "app/healthscanjob.h"
#include "app/mainwindow.h"
#include "app/overviewpanel.h"
#include "app/renamepreviewdialog.h"
#include "models/checkpointtreemodel.h"
#include "models/modelroles.h"
#include "models/treefilterproxy.h"
#include "settle.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;
using namespace ckpt::models;

namespace
{

bool waitForHealth(MainWindow& w)
{
    if (!w.healthScanBusy()) return true;
    QSignalSpy done(&w, &MainWindow::healthShown);
    return done.wait(120000);
}

// Every tensor row under `parent`: key -> row (column 0).
void tensorRows(const QAbstractItemModel* m, const QModelIndex& parent, QMap<QString, QModelIndex>& out)
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (i.data(TensorIndexRole).toInt() >= 0) out.insert(i.data(KeyRole).toString(), i);
        tensorRows(m, i, out);
    }
}

QModelIndex findKey(const QAbstractItemModel* m, const QString& key)
{
    QMap<QString, QModelIndex> rows;
    tensorRows(m, {}, rows);
    return rows.value(key);
}

QString cell(const QModelIndex& i, int column)
{
    return i.sibling(i.row(), column).data().toString();
}

// The last line of a python run that starts with "JSON:", parsed.
QJsonObject jsonFromPython(const QString& code, const QStringList& args, QString* output)
{
    if (testing::runPython(code, args, output) != 0) return {};
    for (const QString& line : output->split(QLatin1Char('\n')))
        if (line.startsWith(QStringLiteral("JSON:"))) return QJsonDocument::fromJson(line.mid(5).toUtf8()).object();
    return {};
}

} // namespace

class TestViewsAndHealth : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void wholeModelOpensOnItsWeights();
    void healthColumnFromABackgroundScan();
    void healthScanIsCancellable();
    void firstScreenAt1024ShowsNamesAndFacts();
    void currentRowStaysInViewAfterCtrlEnd();
    void layoutOptionsAndStateDictPlaceReadWell();
};

void TestViewsAndHealth::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestViewsAndHealth::wholeModelOpensOnItsWeights()
{
    // The oracle: real torch loads the pickled torchvision resnet18 and lists model.state_dict().
    const QString file = testing::guiFixture(QStringLiteral("resnet18_whole.pth"));
    QString output;
    const QJsonObject truth = jsonFromPython(QStringLiteral(R"(
import json, sys, torch
m = torch.load(sys.argv[1])
sd = m.state_dict()
print("JSON:" + json.dumps({k: [str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in sd.items()}))
)"),
                                             {file}, &output);
    QVERIFY2(truth.size() == 122, qPrintable(output)); // resnet18: 62 parameters and 60 buffers

    MainWindow w;
    w.resize(1240, 760);
    w.show();
    QVERIFY(testing::openAndSettle(w, file));
    QVERIFY(w.viewSwitch()->isVisibleTo(&w));
    QCOMPARE(w.viewSwitch()->currentText(), QStringLiteral("Weights"));
    QCOMPARE(w.treeModel()->tree()->view(), TreeView::Weights);
    QMap<QString, QModelIndex> rows;
    tensorRows(w.treeModel(), {}, rows);
    QCOMPARE(rows.size(), truth.size());
    for (auto it = truth.begin(); it != truth.end(); ++it) {
        const QModelIndex row = rows.value(it.key());
        QVERIFY2(row.isValid(), qPrintable(it.key()));
        const QJsonArray expected = it.value().toArray();
        QCOMPARE(cell(row, CheckpointTreeModel::TypeColumn), expected[0].toString());
        QStringList dims;
        for (const QJsonValue& d : expected[1].toArray())
            dims << QString::number(d.toInt());
        QCOMPARE(cell(row, CheckpointTreeModel::ShapeColumn),
                 QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']'));
    }
    // No Python internals in this view: the top rows are the state dict's first key parts (conv1, bn1, ...).
    QSet<QString> tops;
    for (auto it = truth.begin(); it != truth.end(); ++it)
        tops.insert(it.key().section(QLatin1Char('.'), 0, 0));
    QCOMPARE(w.treeModel()->rowCount(), int(tops.size()));
    for (int r = 0; r < w.treeModel()->rowCount(); ++r)
        QVERIFY(tops.contains(w.treeModel()->index(r, 0).data().toString()));

    // The other view: the pickled objects, `_modules` and `_parameters` included, every tensor still there once.
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.setTreeView(TreeView::PythonObjects);
    QVERIFY(matched.wait(30000));
    QCOMPARE(w.treeModel()->tree()->view(), TreeView::PythonObjects);
    QCOMPARE(w.viewSwitch()->currentText(), QStringLiteral("Python objects"));
    QMap<QString, QModelIndex> objectRows;
    tensorRows(w.treeModel(), {}, objectRows);
    bool internals = false;
    for (auto it = objectRows.begin(); it != objectRows.end(); ++it)
        internals = internals || it.value().data(FullPathRole).toString().contains(QStringLiteral("_parameters"));
    QVERIFY(internals);

    // Remembered for the session: a new window opens the same file on the Python objects.
    MainWindow second;
    second.show();
    QVERIFY(testing::openAndSettle(second, file));
    QCOMPARE(second.treeModel()->tree()->view(), TreeView::PythonObjects);
    second.setTreeView(TreeView::Weights); // back to the default for the other tests
    QVERIFY(QSignalSpy(&second, &MainWindow::matchShown).wait(30000));
    QCOMPARE(second.treeModel()->tree()->view(), TreeView::Weights);

    // A state dict has one view: no switch.
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_sd.pth"))));
    QVERIFY(!w.viewSwitch()->isVisibleTo(&w));
}

void TestViewsAndHealth::healthColumnFromABackgroundScan()
{
    // Real torch writes a state dict with NaN and Inf planted and counts them itself (torch.isnan / isposinf /
    // isneginf): that count, per tensor, is what the column must say.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString file = dir.filePath(QStringLiteral("planted.pth"));
    QString output;
    const QJsonObject truth = jsonFromPython(QStringLiteral(R"(
import collections, json, sys, torch
torch.manual_seed(7)
sd = collections.OrderedDict()
sd["enc.weight"] = torch.randn(64, 32)
sd["enc.bias"] = torch.randn(100).half()
sd["dec.weight"] = torch.randn(10, 10).bfloat16()
sd["dec.running_mean"] = torch.randn(48, dtype=torch.float64)
sd["dec.steps"] = torch.tensor(5)
w = sd["enc.weight"]
w[3, 4] = float("nan"); w[10, 0] = float("nan"); w[63, 31] = float("nan")
w[0, 0] = float("inf"); w[5, 5] = float("inf")
sd["enc.bias"][17] = float("-inf")
d = sd["dec.weight"]
d[0, :4] = float("nan")
d[9, 9] = float("-inf")
torch.save(sd, sys.argv[1])
counts = {}
for k, v in torch.load(sys.argv[1]).items():
    if v.is_floating_point():
        counts[k] = [int(torch.isnan(v).sum()), int(torch.isposinf(v).sum()), int(torch.isneginf(v).sum())]
    else:
        counts[k] = [0, 0, 0]
print("JSON:" + json.dumps(counts))
)"),
                                             {file}, &output);
    QVERIFY2(truth.size() == 5, qPrintable(output));

    MainWindow w;
    w.resize(1240, 760);
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openFile(file);
    QVERIFY(shown.wait(30000));
    // Not on the UI thread: the window is shown before any tensor was read, with a busy bar and no column yet.
    QVERIFY(!w.treeModel()->health());
    QVERIFY(w.healthProgressShown());
    QVERIFY(waitForHealth(w));
    QVERIFY(!w.healthProgressShown());
    QVERIFY(w.treeModel()->health());
    w.treeView()->expandAll();

    int badTensors = 0;
    uint64_t decSum = 0;
    for (auto it = truth.begin(); it != truth.end(); ++it) {
        const QJsonArray c = it.value().toArray();
        QStringList parts;
        if (c[0].toInt()) parts << QStringLiteral("%1 NaN").arg(c[0].toInt());
        if (c[1].toInt()) parts << QStringLiteral("%1 +Inf").arg(c[1].toInt());
        if (c[2].toInt()) parts << QStringLiteral("%1 -Inf").arg(c[2].toInt());
        const QString expected = parts.isEmpty() ? QStringLiteral("ok") : parts.join(QStringLiteral(", "));
        const QModelIndex row = findKey(w.treeModel(), it.key());
        QVERIFY2(row.isValid(), qPrintable(it.key()));
        QCOMPARE(cell(row, CheckpointTreeModel::HealthColumn), expected);
        badTensors += parts.isEmpty() ? 0 : 1;
        if (it.key().startsWith(QStringLiteral("dec."))) decSum += c[0].toInt() + c[1].toInt() + c[2].toInt();
    }
    // A group sums the tensors below it; the status bar counts the tensors with NaN/Inf.
    const QModelIndex dec = findKey(w.treeModel(), QStringLiteral("dec.weight")).parent();
    QCOMPARE(cell(dec, CheckpointTreeModel::HealthColumn), QStringLiteral("%1 NaN/Inf").arg(decSum));
    QCOMPARE(w.healthStatusText(), QStringLiteral("NaN/Inf in %1 tensors").arg(badTensors));

    // A new match builds a new tree of the same document: the column stays filled.
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.setArchitecture(QString());
    QVERIFY(matched.wait(30000));
    w.treeView()->expandAll();
    QCOMPARE(cell(findKey(w.treeModel(), QStringLiteral("enc.bias")), CheckpointTreeModel::HealthColumn),
             QStringLiteral("1 -Inf"));

    // A clean file (torchvision resnet18's state dict): every tensor "ok".
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_sd.pth"))));
    QVERIFY(waitForHealth(w));
    QCOMPARE(w.healthStatusText(), QStringLiteral("no NaN/Inf"));
    QCOMPARE(cell(w.treeModel()->index(0, 0), CheckpointTreeModel::HealthColumn), QStringLiteral("ok"));
}

void TestViewsAndHealth::healthScanIsCancellable()
{
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("resnet18_sd.pth"));
    QVERIFY(doc);
    std::atomic<bool> cancel{true};
    const HealthOutcome outcome = HealthScanJob::run(*doc, &cancel);
    QVERIFY(outcome.cancelled);
    QVERIFY(!outcome.table);
    // The status bar's cancel button, right after the open (the scan waits for the ranking): cancelled, no column.
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openFile(testing::guiFixture(QStringLiteral("resnet18_sd.pth")));
    QVERIFY(shown.wait(30000));
    QSignalSpy done(&w, &MainWindow::healthShown);
    auto* cancelButton = w.findChild<QToolButton*>(QStringLiteral("healthCancel"));
    QVERIFY(cancelButton && cancelButton->isVisibleTo(&w));
    cancelButton->click();
    QVERIFY(!done.isEmpty() || done.wait(60000));
    QVERIFY(!w.treeModel()->health());
    QCOMPARE(w.healthStatusText(), QStringLiteral("NaN/Inf scan cancelled"));
}

void TestViewsAndHealth::firstScreenAt1024ShowsNamesAndFacts()
{
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.openSample();
    QVERIFY(matched.wait(30000));
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QCoreApplication::processEvents();
    // The architecture box shows its text from the first letter, and all of it.
    QLineEdit* edit = w.architectureChooser()->lineEdit();
    QVERIFY2(edit->text().startsWith(QStringLiteral("tinyresnet")), qPrintable(edit->text()));
    QCOMPARE(edit->cursorPosition(), 0);
    const int textWidth = edit->fontMetrics().horizontalAdvance(edit->text());
    QVERIFY2(textWidth <= edit->contentsRect().width(),
             qPrintable(QStringLiteral("%1 px of text in %2 px").arg(textWidth).arg(edit->contentsRect().width())));
    // The overview: the facts get the height their wrapped text needs, the chart a readable height per bar.
    w.treeView()->setCurrentIndex({});
    OverviewPanel* overview = w.detailPane()->overview();
    QVERIFY(overview->isVisible());
    QLabel* facts = overview->factsLabel();
    QVERIFY2(facts->height() >= facts->heightForWidth(facts->width()),
             qPrintable(QStringLiteral("facts %1 px high, need %2")
                            .arg(facts->height())
                            .arg(facts->heightForWidth(facts->width()))));
    QVERIFY(overview->chartBars() >= 2);
    const double perBar = overview->chartView()->chart()->plotArea().height() / overview->chartBars();
    QVERIFY2(perBar >= 14, qPrintable(QStringLiteral("%1 px per bar").arg(perBar)));
}

void TestViewsAndHealth::currentRowStaysInViewAfterCtrlEnd()
{
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_sd.pth"))));
    QTreeView* tree = w.treeView();
    tree->expandAll();
    tree->setFocus();
    tree->setCurrentIndex(tree->model()->index(0, 0));
    QTest::keyClick(tree, Qt::Key_End, Qt::ControlModifier);
    QCoreApplication::processEvents();
    // The last row of the expanded tree (resnet18's last key is fc.bias) is current and on screen.
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("fc.bias"));
    QVERIFY(tree->viewport()->rect().contains(tree->visualRect(tree->currentIndex())));

    // Filter, pick a row, clear the filter: the row is current and on screen in the whole tree.
    auto* filter = w.findChild<QLineEdit*>(QStringLiteral("filterEdit"));
    filter->setText(QStringLiteral("layer3.0.downsample"));
    const QModelIndex pick = findKey(tree->model(), QStringLiteral("layer3.0.downsample.1.running_var"));
    QVERIFY(pick.isValid());
    tree->setCurrentIndex(pick);
    filter->clear();
    QCoreApplication::processEvents();
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("layer3.0.downsample.1.running_var"));
    QVERIFY(tree->viewport()->rect().contains(tree->visualRect(tree->currentIndex())));

    // Ctrl+End typed in the filter box (where the keyboard is after typing a filter) goes to the tree's last
    // matching row, in view, and the filter box keeps the keyboard for more typing.
    filter->setFocus();
    QTest::keyClicks(filter, QStringLiteral("running_mean"));
    tree->setCurrentIndex(findKey(tree->model(), QStringLiteral("bn1.running_mean")));
    QTest::keyClick(filter, Qt::Key_End, Qt::ControlModifier);
    QCoreApplication::processEvents();
    // resnet18's last running_mean in file order is layer4.1.bn2's.
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("layer4.1.bn2.running_mean"));
    QVERIFY(tree->viewport()->rect().contains(tree->visualRect(tree->currentIndex())));
    QTest::keyClick(filter, Qt::Key_Up); // the row above: its group, layer4.1.bn2
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("layer4.1.bn2"));
    QCOMPARE(filter->text(), QStringLiteral("running_mean"));
}

void TestViewsAndHealth::layoutOptionsAndStateDictPlaceReadWell()
{
    MainWindow w;
    w.show();
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_dp.pth"))));
    RenamePreviewDialog* preview = w.openFixPrefixes();
    QVERIFY(preview);
    // The state dict is the file's top-level object: its path is empty, which used to read "at  of".
    const QString rule = preview->findChild<QLabel*>(QStringLiteral("ruleLabel"))->text();
    QVERIFY2(rule.contains(QStringLiteral("the top-level state dict of resnet18_dp.pth")), qPrintable(rule));
    QStringList previewLayouts;
    auto* previewCombo = preview->findChild<QComboBox*>(QStringLiteral("layoutCombo"));
    for (int i = 0; i < previewCombo->count(); ++i)
        previewLayouts << previewCombo->itemText(i);
    preview->close();
    // The export dialog offers the same layouts in the same words.
    auto* exportAction = w.findChild<QAction*>(QStringLiteral("actionExport"));
    QVERIFY(exportAction);
    exportAction->trigger();
    auto* dialog = w.findChild<ExportDialog*>();
    QVERIFY(dialog);
    QStringList exportLayouts;
    auto* exportCombo = dialog->findChild<QComboBox*>(QStringLiteral("layoutCombo"));
    for (int i = 0; i < exportCombo->count(); ++i)
        exportLayouts << exportCombo->itemText(i);
    dialog->close();
    QCOMPARE(exportLayouts, previewLayouts);
    QCOMPARE(exportLayouts.size(), 3);

    // A state dict inside a training checkpoint is named by its place in the file.
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("train_adam.pth"))));
    preview = w.openFixPrefixes();
    QVERIFY(preview);
    const QString nested = preview->findChild<QLabel*>(QStringLiteral("ruleLabel"))->text();
    QVERIFY2(nested.contains(QStringLiteral("the state dict at <code>")) &&
                 nested.contains(QStringLiteral("in train_adam.pth")),
             qPrintable(nested));
    preview->close();
}

QTEST_MAIN(TestViewsAndHealth)
#include "tst_viewsandhealth.moc"
