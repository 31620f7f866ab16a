// Values of a directory's tensors and items. Statistics of a tensor split over a directory's chunks (DCP rows and
// columns, ZeRO flat partitions), streamed block by block through the ChunkCopier, against real torch's statistics of
// the consolidated tensor (check_stats.py over the generator's expected tensors): counts exactly, min/max exactly, mean
// and std to 1e-9, the histogram bin for bin. Tiny blocks force many of them, so the merge of blocks is what is tested.
#include <QFile>
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "core/format/loader.h"
#include "support/runprocess.h"
#include "tensor/chunkedstats.h"
#include "tensor/tensorloader.h"

using namespace ckpt;
using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString dir(const QString& name)
{
    return QString(CKPT_DISTRIBUTED_DIR) + "/" + name;
}

int tensorIndex(const Checkpoint& doc, const std::string& key)
{
    for (size_t i = 0; i < doc.tensors.size(); ++i)
        if (!doc.tensors[i].component && tensor::tensorKey(doc, int(i)) == key) return int(i);
    return -1;
}

json torchStats(const QString& name, const QString& key, int bins)
{
    ProcessResult r =
        decoded(runPythonFile(CKPT_CHECK_STATS, {dir(name) + ".expected.pt", key, QString::number(bins)}));
    if (r.exitCode != 0) return json();
    return json::parse(r.out.toStdString());
}

bool close(double a, double b)
{
    return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

void compareWithTorch(const tensor::TensorStats& s, const json& want)
{
    QCOMPARE(s.count, want["count"].get<uint64_t>());
    QCOMPARE(s.finite, want["finite"].get<uint64_t>());
    QCOMPARE(s.zeros, want["zeros"].get<uint64_t>());
    QCOMPARE(s.nan, want["nan"].get<uint64_t>());
    QCOMPARE(s.min, want["min"].get<double>());
    QCOMPARE(s.max, want["max"].get<double>());
    QVERIFY2(close(s.mean, want["mean"].get<double>()), qPrintable(QString::number(s.mean, 'g', 17)));
    QVERIFY2(close(s.std, want["std"].get<double>()), qPrintable(QString::number(s.std, 'g', 17)));
    QCOMPARE(s.counts, want["counts"].get<std::vector<uint64_t>>());
}

} // namespace

class TestDirectoryValues : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        std::string why;
        if (!tensor::tensorModuleAvailable(&why)) QSKIP(("tensor module unavailable: " + why).c_str());
    }

    void blocksMergeToTorchStats_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        QTest::newRow("dcp rows fp32, 3 ranks") << "dcp113_w3_uneven"
                                                << "rows.weight";
        QTest::newRow("dcp columns fp16") << "dcp113_w3_uneven"
                                          << "cols.weight";
        QTest::newRow("dcp rows bf16") << "dcp113_w3_uneven"
                                       << "emb.bf16";
        QTest::newRow("dcp int64") << "dcp113_w3_uneven"
                                   << "ids";
        QTest::newRow("zero-3 fp32 master over 3 ranks") << "ds_z3_w3"
                                                         << "layer.weight";
        QTest::newRow("zero-2 master, two groups") << "ds_z2_bf16"
                                                   << "layer.weight";
    }
    void blocksMergeToTorchStats()
    {
        QFETCH(QString, name);
        QFETCH(QString, key);
        auto loaded = loadCheckpoint(dir(name).toStdString());
        QVERIFY2(loaded, loaded ? "" : loaded.error().detail.c_str());
        const Checkpoint& doc = *loaded.value();
        const int index = tensorIndex(doc, key.toStdString());
        QVERIFY(index >= 0);
        QVERIFY2(tensor::isChunkedTensor(doc, index), "not split over chunks: the test would not test streaming");
        json want = torchStats(name, key, 16);
        QVERIFY(!want.is_null());
        tensor::StatsOptions options;
        options.bins = 16;
        options.backend = tensor::Backend::Cpu;
        for (uint64_t blockBytes : {uint64_t(8), uint64_t(24), uint64_t(128ull << 20)}) { // many blocks .. one
            options.chunkBytes = blockBytes;
            auto stats = tensor::computeStats(doc, index, options);
            QVERIFY2(stats, stats ? "" : stats.error().detail.c_str());
            compareWithTorch(stats.value(), want);
        }
    }

    // The CLI path: `ckpt stats DIR --key K --json` on a tensor no single chunk holds.
    void cliStatsOnDirectory()
    {
        ProcessResult r = runCkpt({"stats", dir("dcp113_w3_uneven"), "--key", "rows.weight", "--json", "--bins", "16"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        json got = json::parse(r.out.toStdString())["tensors"][0];
        json want = torchStats("dcp113_w3_uneven", "rows.weight", 16);
        QCOMPARE(got["count"], want["count"]);
        QCOMPARE(got["min"].get<double>(), want["min"].get<double>());
        QCOMPARE(got["max"].get<double>(), want["max"].get<double>());
        QCOMPARE(got["histogram"]["counts"], want["counts"]);
    }

    // `ckpt diff DIR expected.pt --values` streams each chunked tensor from its chunks and compares it with real
    // torch's consolidated tensor (the generator's expected file): every tensor compared, every one bitwise equal.
    void diffValuesAgainstTorch_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("dcp 3 ranks uneven") << "dcp113_w3_uneven";
        QTest::newRow("dcp 2.x layout") << "dcp24_flat";
        QTest::newRow("zero-3 3 ranks") << "ds_z3_w3";
        QTest::newRow("zero-2 bf16") << "ds_z2_bf16";
    }
    void diffValuesAgainstTorch()
    {
        QFETCH(QString, name);
        QFile f(dir(name) + ".truth.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const size_t tensors = json::parse(f.readAll().toStdString())["tensors"].size();
        ProcessResult r = runCkpt({"diff", dir(name), dir(name) + ".expected.pt", "--values", "--json"});
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(r.err));
        const json diff = json::parse(r.out.toStdString());
        size_t compared = 0;
        for (const auto& e : diff["entries"]) {
            if (e["left"].is_null() || e["right"].is_null()) continue;
            QVERIFY2(e["values_compared"].get<bool>(), qPrintable(QString::fromStdString(e.dump())));
            QVERIFY2(e["bitwise_equal"].get<bool>(), qPrintable(QString::fromStdString(e.dump())));
            ++compared;
        }
        QCOMPARE(compared, tensors);
    }

    // DCP bytes items (a step, a config dict) are not written into the consolidated file: the export says so, by
    // name. The names are the items the generator handed to torch's save_state_dict (its truth file).
    void bytesItemsNamedWhenNotWritten()
    {
        QFile f(dir("dcp113_w2_single") + ".truth.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        json truth = json::parse(f.readAll().toStdString());
        std::vector<std::string> items;
        for (const auto& [name, value] : truth["items"].items())
            items.push_back(name);
        QVERIFY(!items.empty());
        QTemporaryDir tmp;
        ProcessResult r = runCkpt({"export", dir("dcp113_w2_single"), tmp.filePath("out.pth"), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        std::vector<std::string> notWritten =
            json::parse(r.out.toStdString())["items_not_written"].get<std::vector<std::string>>();
        std::sort(notWritten.begin(), notWritten.end());
        std::sort(items.begin(), items.end());
        QCOMPARE(notWritten, items);
        r = runCkpt({"export", dir("dcp113_w2_single"), tmp.filePath("again.pth")});
        QVERIFY2(r.out.contains("not in the consolidated file"), qPrintable(r.out));
    }

    // A missing or truncated rank file is named once (stderr and findings), with the tensors it leaves incomplete,
    // not once per tensor or per item it held. The file is the one the generator damaged (its truth file).
    void damagedFileNamedOnce_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("dcp missing rank") << "dcp_missing_rank";
        QTest::newRow("dcp truncated rank") << "dcp_truncated_rank";
        QTest::newRow("zero missing rank") << "ds_missing_rank";
    }
    void damagedFileNamedOnce()
    {
        QFETCH(QString, name);
        QFile f(dir(name) + ".truth.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString victim =
            QString::fromStdString(json::parse(f.readAll().toStdString())["victim"].get<std::string>());
        ProcessResult r = runCkpt({"info", "--json", dir(name)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.count(victim) == 1, qPrintable(r.err));
        int named = 0;
        const json info = json::parse(r.out.toStdString());
        for (const auto& finding : info["findings"]) {
            const QString what = QString::fromStdString(finding["what"].get<std::string>());
            if (!what.contains(victim)) continue;
            ++named;
            QVERIFY2(what.contains("cannot be consolidated"), qPrintable(what));
        }
        QCOMPARE(named, 1);
    }
};

QTEST_GUILESS_MAIN(TestDirectoryValues)
#include "tst_directoryvalues.moc"
