// The selected tensor's values table: read in a worker (the call that selects the row returns first), NaN and
// Inf marked, 2-D slices of higher-rank tensors, each cell equal to what real torch reads from the same file.
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTreeView>

#include "app/detailpane.h"
#include "app/mainwindow.h"
#include "models/modelroles.h"
#include "models/statuscolors.h"
#include "models/tensorvaluesmodel.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;
using namespace ckpt::models;

namespace
{

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

// torch's values of the slice the table shows (every leading index 0; at most 64 x 32), as "%.6g" text
// (Python's %-formatting is C's, like QString::number(v, 'g', 6)); nan / inf / -inf spelled as torch does.
QStringList torchCells(const QString& file, const QString& key, QString* error)
{
    const QString code = QStringLiteral(R"(
import math, sys, torch
t = torch.load(sys.argv[1], weights_only=True)[sys.argv[2]]
while t.dim() > 2:
    t = t[0]
if t.dim() == 2:
    t = t[:64, :32]
elif t.dim() == 1:
    t = t[:256].reshape(-1, 1)
else:
    t = t.reshape(1, 1)
integer = not (t.dtype.is_floating_point)
for v in t.double().flatten().tolist():
    if math.isnan(v): print("nan")
    elif math.isinf(v): print("inf" if v > 0 else "-inf")
    elif integer: print("%d" % v)
    else: print("%.6g" % v)
)");
    QString output;
    if (testing::runPython(code, {file, key}, &output, 600000) != 0) {
        *error = output;
        return {};
    }
    return output.trimmed().split(QLatin1Char('\n'));
}

bool waitPreview(DetailPane* pane, QSignalSpy& spy)
{
    return (!spy.isEmpty() || spy.wait(30000)) && pane->valuesModel() && pane->valuesModel()->rowCount() > 0;
}

} // namespace

class TestValuesTable : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void valuesMatchTorch_data();
    void valuesMatchTorch();
};

void TestValuesTable::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestValuesTable::valuesMatchTorch_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("nonFinite");
    QTest::newRow("float16 with nan/inf") << "special_values.pth"
                                          << "mixed_float16" << 3;
    QTest::newRow("bfloat16 with nan/inf") << "special_values.pth"
                                           << "mixed_bfloat16" << 3;
    QTest::newRow("float64 with nan/inf") << "special_values.pth"
                                          << "mixed_float64" << 3;
    QTest::newRow("int32 vector") << "special_values.pth"
                                  << "int_zeros" << 0;
    QTest::newRow("4-d conv weight, first slice") << "resnet18_sd.pth"
                                                  << "conv1.weight" << 0;
    QTest::newRow("2-d fc weight, corner") << "resnet18_sd.pth"
                                           << "fc.weight" << 0;
}

void TestValuesTable::valuesMatchTorch()
{
    QFETCH(QString, file);
    QFETCH(QString, key);
    QFETCH(int, nonFinite);
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    QSignalSpy ranked(&w, &MainWindow::rankingShown);
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.openFile(testing::guiFixture(file));
    QVERIFY(shown.wait(30000));
    // The ranking may check an architecture by itself and rebuild the tree; wait for that first.
    if (w.document()->mainWeightSet()) {
        QVERIFY(!ranked.isEmpty() || ranked.wait(30000));
        if (!w.architectureSpec().isEmpty()) QVERIFY(!matched.isEmpty() || matched.wait(30000));
    }
    const QModelIndex row = findKey(w.treeView()->model(), key);
    QVERIFY(row.isValid());
    // The tree may have made its first row current when it took the focus: start from no selection.
    w.treeView()->setCurrentIndex({});
    QSignalSpy preview(w.detailPane(), &DetailPane::previewFinished);
    w.treeView()->setCurrentIndex(row);
    QVERIFY(preview.isEmpty()); // read in a worker: nothing arrives before the event loop runs
    QVERIFY2(waitPreview(w.detailPane(), preview), qPrintable(w.detailPane()->valuesCaption()));

    QString error;
    const QStringList want = torchCells(testing::guiFixture(file), key, &error);
    QVERIFY2(!want.isEmpty(), qPrintable(error));
    const TensorValuesModel* m = w.detailPane()->valuesModel();
    QCOMPARE(m->rowCount() * m->columnCount(), want.size());
    int marked = 0;
    for (int r = 0; r < m->rowCount(); ++r)
        for (int c = 0; c < m->columnCount(); ++c) {
            const QModelIndex i = m->index(r, c);
            QCOMPARE(i.data().toString(), want[r * m->columnCount() + c]);
            const bool bad = i.data().toString().contains(QStringLiteral("nan")) ||
                             i.data().toString().contains(QStringLiteral("inf"));
            if (bad) {
                QCOMPARE(i.data(Qt::ForegroundRole).value<QColor>(),
                         StatusColors::dangerColor(QGuiApplication::palette()));
                ++marked;
            }
        }
    QCOMPARE(marked, nonFinite);
    if (nonFinite > 0) QVERIFY(w.detailPane()->valuesCaption().contains(QStringLiteral("NaN/Inf")));
    if (key == QLatin1String("conv1.weight"))
        QVERIFY2(w.detailPane()->valuesCaption().contains(QStringLiteral("[0, 0, :, :] of [64, 3, 7, 7]")),
                 qPrintable(w.detailPane()->valuesCaption()));
}

QTEST_MAIN(TestValuesTable)
#include "tst_valuestable.moc"
