#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

#include "app/diffwindow.h"
#include "models/difftreemodel.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;

namespace
{

// Small files get their values compared automatically after the metadata diff; wait for that answer.
bool waitForValues(DiffWindow& window, QSignalSpy& ready)
{
    for (int i = 0; i < 4; ++i) {
        if (window.diff() && window.diff()->valuesCompared && !window.isBusy()) return true;
        if (!ready.wait(120000)) return false;
    }
    return window.diff() && window.diff()->valuesCompared;
}

} // namespace

// The side-by-side diff: DataParallel vs plain is all equal after the rule; a training step differs in values.
class TestDiffWindow : public QObject
{
    Q_OBJECT
private slots:
    void dataParallelVsPlainAllEqual();
    void trainingStepShowsValueDifferences();
    void viewsStaySynchronised();
};

void TestDiffWindow::dataParallelVsPlainAllEqual()
{
    DiffWindow window;
    QSignalSpy ready(&window, &DiffWindow::ready);
    window.compareFiles(testing::guiFixture(QStringLiteral("resnet18_dp.pth")),
                        testing::guiFixture(QStringLiteral("resnet18_sd.pth")));
    QVERIFY(ready.wait(60000));
    QVERIFY2(window.errorText().isEmpty(), qPrintable(window.errorText()));
    QVERIFY(window.diff());
    // First the metadata (names, shapes, dtypes, locations), then the values, read without a click.
    QCOMPARE(window.diff()->count(DiffStatus::Equal), size_t(122));
    QVERIFY(waitForValues(window, ready));
    QCOMPARE(window.diff()->count(DiffStatus::Equal), size_t(122));
    QVERIFY2(window.summaryText().startsWith(QStringLiteral("122 of 122 tensors equal after removing `module.`")),
             qPrintable(window.summaryText()));
    window.setDifferencesOnly(true);
    QCOMPARE(window.leftView()->model()->rowCount(), 0);
}

void TestDiffWindow::trainingStepShowsValueDifferences()
{
    DiffWindow window;
    QSignalSpy ready(&window, &DiffWindow::ready);
    window.compareFiles(testing::guiFixture(QStringLiteral("small_before.pth")),
                        testing::guiFixture(QStringLiteral("small_after_adam.pth")));
    QVERIFY(ready.wait(60000));
    window.compareValues(); // a no-op while the automatic comparison runs
    QVERIFY(waitForValues(window, ready));
    QVERIFY(window.diff()->count(DiffStatus::ValuesDiffer) > 0);
    window.setDifferencesOnly(true);
    QAbstractItemModel* left = window.leftView()->model();
    QVERIFY(left->rowCount() > 0);
    bool maxShown = false;
    std::function<void(const QModelIndex&)> walk = [&](const QModelIndex& parent) {
        for (int r = 0; r < left->rowCount(parent); ++r) {
            const QModelIndex i = left->index(r, 0, parent);
            maxShown |= left->index(r, models::DiffTreeModel::StatusColumn, parent)
                            .data()
                            .toString()
                            .startsWith(QStringLiteral("values differ (max |a-b|"));
            walk(i);
        }
    };
    walk({});
    QVERIFY(maxShown);
}

void TestDiffWindow::viewsStaySynchronised()
{
    DiffWindow window;
    window.resize(1000, 300);
    window.show();
    QSignalSpy ready(&window, &DiffWindow::ready);
    window.compareFiles(testing::guiFixture(QStringLiteral("resnet18_dp.pth")),
                        testing::guiFixture(QStringLiteral("resnet18_sd.pth")));
    QVERIFY(ready.wait(60000));
    QTreeView* l = window.leftView();
    QTreeView* r = window.rightView();
    QCOMPARE(l->model()->rowCount(), r->model()->rowCount());
    const QModelIndex layer1 = l->model()->index(4, 0);
    l->expand(layer1);
    QVERIFY(r->isExpanded(r->model()->index(4, 0)));
    l->collapse(layer1);
    QVERIFY(!r->isExpanded(r->model()->index(4, 0)));
    l->expandAll();
    r->expandAll();
    l->setCurrentIndex(l->model()->index(3, 0));
    QCOMPARE(r->currentIndex().row(), 3);
    l->verticalScrollBar()->setValue(l->verticalScrollBar()->maximum() / 2);
    QCOMPARE(r->verticalScrollBar()->value(), l->verticalScrollBar()->value());
}

QTEST_MAIN(TestDiffWindow)
#include "tst_diffwindow.moc"
