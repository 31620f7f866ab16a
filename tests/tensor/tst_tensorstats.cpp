// Every statistic of every dtype against PyTorch computing in float64 (make_stats_fixtures.py).
// Tolerances: counts, min, max and histogram counts exact (same IEEE operations as the truth); mean and
// std within 1e-9 relative to max(|mean|, std); edges within 1e-12 relative to the range.
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>

#include "statsfixtures.h"
#include "tensor/tensorloader.h"

using namespace ckpt;
using namespace tensortest;

class TestTensorStats : public QObject
{
    Q_OBJECT

private:
    CheckpointPtr m_dtypes;
    QJsonObject m_truth;

    void compareWithTruth(const tensor::TensorStats& s, const QJsonObject& t, const QString& key)
    {
        QCOMPARE(qint64(s.count), qint64(t["count"].toInteger()));
        QCOMPARE(qint64(s.finite), qint64(t["finite"].toInteger()));
        QCOMPARE(qint64(s.zeros), qint64(t["zeros"].toInteger()));
        QCOMPARE(qint64(s.nan), qint64(t["nan"].toInteger()));
        QCOMPARE(qint64(s.posinf), qint64(t["posinf"].toInteger()));
        QCOMPARE(qint64(s.neginf), qint64(t["neginf"].toInteger()));
        QVERIFY2(sameOrBothNaN(s.min, t["min"], 0.0), qPrintable(key + " min " + QString::number(s.min, 'g', 17)));
        QVERIFY2(sameOrBothNaN(s.max, t["max"], 0.0), qPrintable(key + " max " + QString::number(s.max, 'g', 17)));
        const double scale = std::max({std::fabs(t["mean"].toDouble()), t["std"].toDouble(), 1e-300});
        QVERIFY2(sameOrBothNaN(s.mean, t["mean"], 1e-9 * scale),
                 qPrintable(key + " mean " + QString::number(s.mean, 'g', 17)));
        QVERIFY2(sameOrBothNaN(s.std, t["std"], 1e-9 * scale),
                 qPrintable(key + " std " + QString::number(s.std, 'g', 17)));
        const QJsonArray counts = t["counts"].toArray();
        const QJsonArray edges = t["edges"].toArray();
        QCOMPARE(int(s.counts.size()), int(counts.size()));
        QCOMPARE(int(s.edges.size()), int(edges.size()));
        for (int b = 0; b < counts.size(); ++b)
            QVERIFY2(qint64(s.counts[size_t(b)]) == counts[b].toInteger(),
                     qPrintable(key + " bin " + QString::number(b)));
        if (!edges.isEmpty()) {
            const double range = edges.last().toDouble() - edges.first().toDouble();
            for (int b = 0; b < edges.size(); ++b)
                QVERIFY(std::fabs(s.edges[size_t(b)] - edges[b].toDouble()) <= 1e-12 * range);
        }
    }

private slots:
    void initTestCase()
    {
        std::string why;
        QVERIFY2(tensor::tensorModuleAvailable(&why), why.c_str());
        m_dtypes = load("dtypes.pth");
        QVERIFY(m_dtypes);
        m_truth = readTruth("dtypes.truth.json");
        QVERIFY(!m_truth.isEmpty());
    }

    void everyDtype_data()
    {
        QTest::addColumn<QString>("key");
        const QJsonObject tensors = m_truth["tensors"].toObject();
        for (const QString& key : tensors.keys())
            QTest::newRow(qPrintable(key)) << key;
    }

    void everyDtype()
    {
        QFETCH(QString, key);
        const QJsonObject t = m_truth["tensors"].toObject()[key].toObject();
        const int index = tensorIndex(*m_dtypes, key.toStdString());
        QVERIFY2(index >= 0, "key not found in the loaded checkpoint");
        QCOMPARE(QString::fromStdString(std::string(dtypeName(m_dtypes->tensors[size_t(index)].dtype))),
                 t["dtype"].toString());
        tensor::StatsOptions options;
        options.bins = m_truth["bins"].toInt();
        options.backend = tensor::Backend::Cpu;
        auto stats = tensor::computeStats(*m_dtypes, index, options);
        QVERIFY2(stats.ok(), stats.ok() ? "" : stats.error().detail.c_str());
        QCOMPARE(QString::fromStdString(stats.value().device), QStringLiteral("cpu"));
        compareWithTruth(stats.value(), t, key);
    }

    void smallChunksGiveTheSameAnswer_data()
    {
        QTest::addColumn<QString>("key");
        for (const char* key : {"big", "strided", "transposed", "bfloat16", "qint8_per_channel0", "qint8_strided",
                                "quint8_per_channel1", "complex128", "float32"})
            QTest::newRow(key) << QString(key);
    }

    void smallChunksGiveTheSameAnswer()
    {
        // Chunks of a few elements exercise the chunked path (flat ranges and dim-0 row groups) that
        // multi-GB tensors take, without multi-GB fixtures.
        QFETCH(QString, key);
        const QJsonObject t = m_truth["tensors"].toObject()[key].toObject();
        const int index = tensorIndex(*m_dtypes, key.toStdString());
        QVERIFY(index >= 0);
        tensor::StatsOptions options;
        options.bins = m_truth["bins"].toInt();
        options.backend = tensor::Backend::Cpu;
        options.chunkBytes = 40;
        auto stats = tensor::computeStats(*m_dtypes, index, options);
        QVERIFY2(stats.ok(), stats.ok() ? "" : stats.error().detail.c_str());
        compareWithTruth(stats.value(), t, key);
    }

    void noHistogramWhenBinsIsZero()
    {
        tensor::StatsOptions options;
        options.bins = 0;
        auto stats = tensor::computeStats(*m_dtypes, tensorIndex(*m_dtypes, "float32"), options);
        QVERIFY(stats.ok());
        QVERIFY(stats.value().counts.empty() && stats.value().edges.empty());
        QCOMPARE(qint64(stats.value().nan), qint64(1));
    }

    void outOfBoundsViewIsRefused()
    {
        // A hostile stride must never make from_blob read past the storage. Edit a private copy of the
        // document's metadata (the bytes stay mapped and untouched).
        auto loaded = loadCheckpoint(fixture("dtypes.pth").toStdString());
        QVERIFY(loaded.ok());
        auto& doc = const_cast<Checkpoint&>(*loaded.value());
        const int index = tensorIndex(doc, "grid");
        QVERIFY(index >= 0);
        doc.tensors[size_t(index)].stride = {1000000, 1};
        auto stats = tensor::computeStats(doc, index, {});
        QVERIFY(!stats.ok());
        QCOMPARE(stats.error().status, Status::Corrupt);
        doc.tensors[size_t(index)].stride = {8, 1};
        doc.tensors[size_t(index)].offset = 1;
        QCOMPARE(tensor::computeStats(doc, index, {}).error().status, Status::Corrupt);
        doc.tensors[size_t(index)].offset = 0;
        doc.tensors[size_t(index)].shape = {int64_t(1) << 62, int64_t(1) << 62};
        QCOMPARE(tensor::computeStats(doc, index, {}).error().status, Status::Corrupt);
    }

    void unsupportedTensorsSayWhy()
    {
        tensor::RawTensor raw;
        raw.dtype = DType::Float8_e4m3fn;
        raw.shape = {4};
        raw.stride = {1};
        static const uint8_t bytes[4] = {0, 1, 2, 3};
        raw.data = bytes;
        auto stats = tensor::computeStatsRaw(raw);
        QVERIFY(!stats.ok());
        QCOMPARE(stats.error().status, Status::Unsupported);
        QVERIFY2(stats.error().detail.find("float8_e4m3fn") != std::string::npos, stats.error().detail.c_str());
        auto meta = tensor::computeStats(*m_dtypes, -1, {});
        QVERIFY(!meta.ok());
    }

    void sparseAndMetaSayWhyAndScanReadsSparseValues()
    {
        auto c = load("layouts.pth");
        QVERIFY(c);
        auto sparse = tensor::computeStats(*c, tensorIndex(*c, "sparse"), {});
        QVERIFY(!sparse.ok());
        QCOMPARE(sparse.error().status, Status::Unsupported);
        QVERIFY2(sparse.error().detail.find("sparse_coo") != std::string::npos, sparse.error().detail.c_str());
        auto meta = tensor::computeStats(*c, tensorIndex(*c, "meta"), {});
        QVERIFY(!meta.ok());
        QVERIFY2(meta.error().detail.find("meta") != std::string::npos, meta.error().detail.c_str());
        QVERIFY(tensor::computeStats(*c, tensorIndex(*c, "dense"), {}).ok());
        auto report = tensor::scanHealth(*c, {});
        QVERIFY(report.ok());
        QVERIFY(report.value().hasNonFinite());
        QCOMPARE(int(report.value().findings.size()), 1);
        QCOMPARE(QString::fromStdString(report.value().findings[0].key), QStringLiteral("sparse (values)"));
        QCOMPARE(qint64(report.value().findings[0].nan), qint64(1));
        QCOMPARE(int(report.value().skipped.size()), 1); // the meta tensor, with its reason
    }

    void cancelStopsBetweenChunks()
    {
        std::atomic<bool> cancel{true};
        tensor::StatsOptions options;
        options.cancel = &cancel;
        auto stats = tensor::computeStats(*m_dtypes, tensorIndex(*m_dtypes, "big"), options);
        QVERIFY(!stats.ok());
        QCOMPARE(stats.error().status, Status::Cancelled);
    }

    void versionIsReported() { QVERIFY(!tensor::tensorModuleVersion().empty()); }
};

QTEST_APPLESS_MAIN(TestTensorStats)
#include "tst_tensorstats.moc"
