// Coverage of a tensor by its chunks, as torch's _validate_global_plan checks a save plan: every element
// exactly once. Overlaps, holes, boxes outside the tensor and unreadable chunks are each a problem.
#include <QTest>

#include "core/distributed/coverage.h"

using namespace ckpt::distributed;

namespace
{

Chunk box(std::vector<int64_t> offsets, std::vector<int64_t> sizes)
{
    Chunk c;
    c.offsets = std::move(offsets);
    c.sizes = std::move(sizes);
    c.file = 0;
    c.fileName = "__0_0.distcp";
    return c;
}

VirtualTensor tensor(std::vector<int64_t> shape, std::vector<Chunk> chunks)
{
    VirtualTensor t;
    t.key = "w";
    t.shape = std::move(shape);
    t.chunks = std::move(chunks);
    return t;
}

} // namespace

class TestCoverage : public QObject
{
    Q_OBJECT

private slots:
    void cases_data()
    {
        QTest::addColumn<bool>("complete");
        QTest::addColumn<QString>("problem");
        QTest::addColumn<int>("which");
        QTest::newRow("dim-0 split") << true << "" << 0;
        QTest::newRow("dim-1 split") << true << "" << 1;
        QTest::newRow("overlap") << false << "overlap" << 2;
        QTest::newRow("hole") << false << "hole" << 3;
        QTest::newRow("outside") << false << "outside" << 4;
        QTest::newRow("0-d") << true << "" << 5;
        QTest::newRow("unreadable chunk") << false << "missing" << 6;
        QTest::newRow("overlap hiding a hole") << false << "overlap" << 7;
    }
    void cases()
    {
        QFETCH(bool, complete);
        QFETCH(QString, problem);
        QFETCH(int, which);
        std::vector<VirtualTensor> all{
            tensor({5, 3}, {box({0, 0}, {3, 3}), box({3, 0}, {2, 3})}),
            tensor({4, 6}, {box({0, 0}, {4, 4}), box({0, 4}, {4, 2})}),
            tensor({5, 3}, {box({0, 0}, {3, 3}), box({2, 0}, {3, 3})}),
            tensor({5, 3}, {box({0, 0}, {3, 3}), box({4, 0}, {1, 3})}),
            tensor({5, 3}, {box({0, 0}, {3, 3}), box({3, 0}, {3, 3})}),
            tensor({}, {box({}, {})}),
            tensor({5, 3}, {box({0, 0}, {3, 3}), box({3, 0}, {2, 3})}),
            tensor({4}, {box({0}, {2}), box({1}, {2})}), // volumes add up to 4 but element 3 is missing
        };
        all[6].chunks[1].problem = "missing";
        Coverage c = checkCoverage(all[size_t(which)]);
        QCOMPARE(c.complete, complete);
        QVERIFY2(QString::fromStdString(c.problem).contains(problem), c.problem.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCoverage)
#include "tst_coverage.moc"
