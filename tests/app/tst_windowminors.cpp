// Smaller window behaviours from the second review: the current row survives filtering, "Compare with" starts in
// the open file's folder, "Open result" opens a new window (the input stays open), the location remap offers a
// GPU target on a machine without one, and every status colour (missing keys included) is readable on both
// palettes.
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>
#include <QtCharts/QAbstractAxis>
#include <QtCharts/QChart>

#include <cmath>
#include <map>

#include "app/exportdialog.h"
#include "app/histogramchart.h"
#include "app/mainwindow.h"
#include "models/formatting.h"
#include "models/modelroles.h"
#include "models/statuscolors.h"
#include "settle.h"
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

// WCAG relative luminance and contrast ratio.
double luminance(const QColor& c)
{
    auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

double contrast(const QColor& a, const QColor& b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

} // namespace

class TestWindowMinors : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void currentRowSurvivesTheFilter();
    void compareWithStartsInTheOpenFilesFolder();
    void openResultOpensANewWindow();
    void remapOffersAGpuWithoutOne();
    void statusColoursReadableOnBothPalettes();
    void spinnerWhileTheArchitectureIsChecked();
    void statusBarSummarisesLocationsAndShardSizes();
    void sampleIsLabelledAsASample();
    void histogramLabelsAreDistinct();
    void chartsFollowAPaletteChange();
};

void TestWindowMinors::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestWindowMinors::currentRowSurvivesTheFilter()
{
    MainWindow w;
    w.resize(1024, 700);
    w.show();
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("resnet18_sd.pth"))));
    QTreeView* tree = w.treeView();
    tree->expandAll(); // every row shown: the one chosen below is far under the first screen
    const QModelIndex deep = findKey(tree->model(), QStringLiteral("layer4.1.bn2.running_var"));
    QVERIFY(deep.isValid());
    tree->setCurrentIndex(deep);
    auto* filter = w.findChild<QLineEdit*>(QStringLiteral("filterEdit"));
    QVERIFY(filter);
    filter->setText(QStringLiteral("layer4.1"));
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("layer4.1.bn2.running_var"));
    tree->scrollToTop(); // where a short filtered list leaves the scroll bar
    filter->clear();
    // Back to the whole tree: the same row is current and inside the viewport.
    QCOMPARE(tree->currentIndex().data(KeyRole).toString(), QStringLiteral("layer4.1.bn2.running_var"));
    QVERIFY(tree->viewport()->rect().intersects(tree->visualRect(tree->currentIndex())));
}

void TestWindowMinors::compareWithStartsInTheOpenFilesFolder()
{
    MainWindow w;
    w.show();
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("small_before.pth"))));
    QString seen;
    QTimer poll;
    connect(&poll, &QTimer::timeout, [&] {
        if (auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget())) {
            seen = dialog->directory().absolutePath();
            dialog->reject();
        }
    });
    poll.start(20);
    w.findChild<QAction*>(QStringLiteral("actionCompare"))->trigger();
    poll.stop();
    QCOMPARE(seen, QFileInfo(testing::guiFixture(QStringLiteral("small_before.pth"))).absolutePath());
}

void TestWindowMinors::openResultOpensANewWindow()
{
    MainWindow w;
    w.show();
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("small_before.pth"))));
    const CheckpointPtr input = w.document();
    w.findChild<QAction*>(QStringLiteral("actionExport"))->trigger();
    auto* dialog = w.findChild<ExportDialog*>();
    QVERIFY(dialog);
    QTemporaryDir tmp;
    const QString out = tmp.filePath(QStringLiteral("copy.pth"));
    dialog->setDestination(out);
    QSignalSpy finished(dialog, &ExportDialog::exportFinished);
    QVERIFY(dialog->startExport());
    QVERIFY(finished.wait(120000));
    QVERIFY(finished.first().first().toBool());
    QSignalSpy opened(&w, &MainWindow::newWindowOpened);
    dialog->openResult();
    QCOMPARE(opened.size(), 1);
    auto* second = opened.first().first().value<MainWindow*>();
    QVERIFY(second && second != &w);
    QSignalSpy shown(second, &MainWindow::documentShown);
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.first().first().toString(), out);
    QCOMPARE(w.document(), input); // the input is still what this window shows
    second->close();
}

void TestWindowMinors::remapOffersAGpuWithoutOne()
{
    MainWindow w;
    w.show();
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("small_before.pth")))); // every storage on cpu
    w.findChild<QAction*>(QStringLiteral("actionExport"))->trigger();
    auto* dialog = w.findChild<ExportDialog*>();
    QVERIFY(dialog);
    auto* table = dialog->findChild<QTableWidget*>(QStringLiteral("locationsTable"));
    QVERIFY(table && table->rowCount() == 1);
    auto* combo = qobject_cast<QComboBox*>(table->cellWidget(0, 1));
    QVERIFY(combo);
    QStringList targets;
    for (int i = 0; i < combo->count(); ++i)
        targets << combo->itemData(i).toString();
    // Keep, and at least one CUDA device: a detected one, or cuda:0 for a machine that has one.
    QVERIFY2(targets.size() >= 2, qPrintable(targets.join(QLatin1Char(','))));
    QVERIFY(targets.contains(QString()));
    bool gpu = false;
    for (const QString& t : targets)
        gpu = gpu || t.startsWith(QLatin1String("cuda:"));
    QVERIFY2(gpu, qPrintable(targets.join(QLatin1Char(','))));
    dialog->close();
}

void TestWindowMinors::statusColoursReadableOnBothPalettes()
{
    QPalette light;
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    for (const QPalette& pal : {light, dark})
        for (MatchState s : {MatchState::Ok, MatchState::Renamed, MatchState::ShapeMismatch, MatchState::DtypeMismatch,
                             MatchState::Unexpected, MatchState::Missing}) {
            const double ratio = contrast(StatusColors::foreground(s, pal), pal.color(QPalette::Base));
            // 4.5:1 is WCAG AA for text; a missing key used to be drawn in the disabled (faintest) colour.
            QVERIFY2(ratio >= 4.5, qPrintable(QStringLiteral("%1 on %2: %3")
                                                  .arg(QString::fromLatin1(matchStateName(s)))
                                                  .arg(pal.color(QPalette::Base).name())
                                                  .arg(ratio)));
        }
}

void TestWindowMinors::spinnerWhileTheArchitectureIsChecked()
{
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openFile(testing::guiFixture(QStringLiteral("small_before.pth"))); // fits no catalog entry: no auto check
    QVERIFY(shown.wait(30000));
    QVERIFY(!w.matchSpinnerShown());
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.setArchitecture(QStringLiteral("builtin:resnet50"));
    QVERIFY(w.matchSpinnerShown()); // at once, before the worker answers
    QVERIFY(matched.wait(60000));
    QVERIFY(!w.matchSpinnerShown());
}

void TestWindowMinors::statusBarSummarisesLocationsAndShardSizes()
{
    MainWindow w;
    w.show();
    // Locations as torch recorded them (the fixture's truth file): every one with its count.
    QVERIFY(testing::openAndSettle(w, testing::guiFixture(QStringLiteral("cuda_tagged.pth"))));
    const nlohmann::json truth = testing::guiTruth(QStringLiteral("cuda_tagged"));
    QVERIFY(truth.is_object());
    std::map<std::string, int> counts;
    for (const auto& t : truth["tensors"])
        ++counts[t["location"].get<std::string>()];
    QVERIFY(counts.size() > 1);
    for (const auto& [where, n] : counts)
        QVERIFY2(
            w.statusSummaryText().contains(QStringLiteral("%1 \u00d7%2").arg(QString::fromStdString(where)).arg(n)),
            qPrintable(w.statusSummaryText()));

    // A sharded set's size is every file of it (the file system's sizes), not the index alone.
    QVERIFY(testing::openAndSettle(
        w, testing::guiFixture(QStringLiteral("sharded_safetensors/model.safetensors.index.json"))));
    uint64_t total = 0;
    for (const QFileInfo& f :
         QDir(testing::guiFixture(QStringLiteral("sharded_safetensors"))).entryInfoList(QDir::Files))
        total += uint64_t(f.size());
    QVERIFY2(w.statusSummaryText().contains(humanBytes(total)), qPrintable(w.statusSummaryText()));
}

void TestWindowMinors::sampleIsLabelledAsASample()
{
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.openSample();
    QVERIFY(shown.wait(30000));
    QVERIFY(!matched.isEmpty() || matched.wait(30000)); // the first screen as a user sees it
    QVERIFY2(w.windowTitle().startsWith(QStringLiteral("Built-in sample")), qPrintable(w.windowTitle()));
    QVERIFY(w.statusSummaryText().startsWith(QStringLiteral("Built-in sample")));
    // The longer status line does not widen the window: 1024 pixels still fit.
    w.resize(1024, 700);
    QTRY_VERIFY(w.width() <= 1024);
    // Another file afterwards is not called a sample.
    QSignalSpy again(&w, &MainWindow::documentShown);
    w.openFile(testing::guiFixture(QStringLiteral("small_before.pth")));
    QVERIFY(again.wait(30000));
    QVERIFY(!w.windowTitle().contains(QStringLiteral("sample")));
}

void TestWindowMinors::histogramLabelsAreDistinct()
{
    HistogramChart chart;
    chart.resize(400, 200);
    // A narrow range around 1 (weights after a tiny update) and a top count of 1: both used to repeat labels
    // ("1 1 1 1 1" along x with %.3g, "0 1 1 2" along y).
    chart.setHistogram({1.0, 1.0001, 1.0002, 1.0003, 1.0004}, {1, 0, 0, 1}, QStringLiteral("t"));
    for (Qt::Orientation o : {Qt::Horizontal, Qt::Vertical}) {
        QStringList labels = chart.axisLabels(o);
        QVERIFY(labels.size() >= 3);
        const int n = labels.size();
        labels.removeDuplicates();
        QVERIFY2(labels.size() == n, qPrintable(labels.join(QLatin1Char(' '))));
    }
    // Wide ranges keep three significant digits.
    chart.setHistogram({-0.5, 0.0, 0.5}, {10, 20}, QStringLiteral("t"));
    QCOMPARE(chart.axisLabels(Qt::Horizontal).first(), QStringLiteral("-0.5"));
}

void TestWindowMinors::chartsFollowAPaletteChange()
{
    HistogramChart chart;
    chart.setHistogram({0.0, 1.0, 2.0}, {3, 4}, QStringLiteral("t"));
    QPalette dark = chart.palette();
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    chart.setPalette(dark);
    QCOMPARE(chart.chart()->backgroundBrush().color(), QColor(0x1e, 0x1e, 0x1e));
    for (QAbstractAxis* axis : chart.chart()->axes())
        QCOMPARE(axis->labelsBrush().color(), QColor(0xe6, 0xe6, 0xe6));
}

QTEST_MAIN(TestWindowMinors)
#include "tst_windowminors.moc"
