// The whole-file health scan: planted NaN/+Inf/-Inf in a resnet18 are found with their counts, a clean
// resnet18 has none; all-zero tensors and the threshold match PyTorch's view of the same file.
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QTest>

#include <set>

#include "statsfixtures.h"
#include "tensor/tensorloader.h"

using namespace ckpt;
using namespace tensortest;

class TestHealthScan : public QObject
{
    Q_OBJECT

private:
    QJsonObject m_truth;

    static std::set<std::string> allZero(const tensor::HealthReport& r)
    {
        std::set<std::string> out;
        for (const auto& f : r.findings)
            if (f.allZero) out.insert(f.key);
        return out;
    }

    std::set<std::string> truthAllZero() const
    {
        std::set<std::string> out;
        for (const QJsonValue& v : m_truth["all_zero"].toArray())
            out.insert(v.toString().toStdString());
        return out;
    }

private slots:
    void initTestCase()
    {
        std::string why;
        QVERIFY2(tensor::tensorModuleAvailable(&why), why.c_str());
        m_truth = readTruth("resnet18.truth.json");
        QVERIFY(!m_truth.isEmpty());
    }

    void findsPlantedNaNAndInf()
    {
        auto c = load("resnet18_bad.pth");
        QVERIFY(c);
        auto report = tensor::scanHealth(*c, {});
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        const tensor::HealthReport& r = report.value();
        QVERIFY(r.hasNonFinite());
        QCOMPARE(qint64(r.tensorsScanned), m_truth["tensors"].toInteger());
        QVERIFY(r.skipped.empty());
        const QJsonObject bad = m_truth["bad"].toObject();
        int nonFinite = 0;
        for (const auto& f : r.findings) {
            if (!f.nan && !f.posinf && !f.neginf) continue;
            ++nonFinite;
            const QJsonArray expected = bad[QString::fromStdString(f.key)].toArray();
            QVERIFY2(!expected.isEmpty(), f.key.c_str());
            QCOMPARE(qint64(f.nan), expected[0].toInteger());
            QCOMPARE(qint64(f.posinf), expected[1].toInteger());
            QCOMPARE(qint64(f.neginf), expected[2].toInteger());
        }
        QCOMPARE(nonFinite, int(bad.size()));
        QVERIFY(allZero(r) == truthAllZero());
    }

    void cleanFileHasNoNonFinite()
    {
        auto c = load("resnet18_clean.pth");
        QVERIFY(c);
        auto report = tensor::scanHealth(*c, {});
        QVERIFY(report.ok());
        QVERIFY(!report.value().hasNonFinite());
        for (const auto& f : report.value().findings)
            QVERIFY2(f.nan == 0 && f.posinf == 0 && f.neginf == 0 && !f.overThreshold, f.key.c_str());
        // Zero-initialised BatchNorm biases and running means are reported as all-zero, nothing else.
        QVERIFY(allZero(report.value()) == truthAllZero());
    }

    void thresholdFlagsLargeValues()
    {
        auto c = load("resnet18_clean.pth");
        QVERIFY(c);
        tensor::HealthOptions options;
        options.threshold = 0.5;
        auto report = tensor::scanHealth(*c, options);
        QVERIFY(report.ok());
        std::set<std::string> flagged, expected;
        for (const auto& f : report.value().findings)
            if (f.overThreshold) flagged.insert(f.key);
        const QJsonObject maxAbs = m_truth["max_abs"].toObject();
        for (const QString& key : maxAbs.keys())
            if (maxAbs[key].toDouble() > 0.5) expected.insert(key.toStdString());
        QVERIFY(!expected.empty());
        QVERIFY(flagged == expected);
    }

    void progressCoversEveryByteAndCancelStops()
    {
        auto c = load("resnet18_clean.pth");
        QVERIFY(c);
        std::vector<std::pair<uint64_t, uint64_t>> ticks;
        Progress progress;
        progress.report = [&](uint64_t done, uint64_t total) { ticks.emplace_back(done, total); };
        QVERIFY(tensor::scanHealth(*c, {}, progress).ok());
        QVERIFY(ticks.size() > 2);
        for (size_t i = 1; i < ticks.size(); ++i)
            QVERIFY(ticks[i].first >= ticks[i - 1].first);
        QCOMPARE(ticks.back().first, ticks.back().second);
        QVERIFY(ticks.back().second > 40'000'000);

        std::atomic<bool> cancel{false};
        Progress cancelling;
        cancelling.cancel = &cancel;
        int calls = 0;
        cancelling.report = [&](uint64_t, uint64_t) {
            if (++calls == 3) cancel = true;
        };
        auto cancelled = tensor::scanHealth(*c, {}, cancelling);
        QVERIFY(!cancelled.ok());
        QCOMPARE(cancelled.error().status, Status::Cancelled);
    }
};

QTEST_APPLESS_MAIN(TestHealthScan)
#include "tst_healthscan.moc"
