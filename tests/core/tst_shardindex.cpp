#include <QTest>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/format/formatloaders.h"
#include "core/format/loader.h"
#include "core/format/shardindex.h"
#include "core/io/mappedfile.h"
#include "core/limits.h"
#include "support/runprocess.h"

using namespace ckpt;
using namespace ckpt::test;

// The sharded *.index.json reader against indexes written by Python (tests/hostile/make_index_inputs.py: the
// transformers layout, repeated members, every metadata type, 100,000 entries, and hostile ones: nesting a million
// deep, 16 MiB strings, wrong types, broken text). The oracle of each readable case is Python's json module reading
// the same file; each hostile case must end in a clear error that names the file and the cause.
class TestShardIndex : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void matchesPython_data();
    void matchesPython();
    void depthLimitIsExact();

private:
    QTemporaryDir m_dir;
};

namespace
{

nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

Status statusFromName(const std::string& name)
{
    static const std::map<std::string, Status> names = {{"Corrupt", Status::Corrupt},
                                                        {"LimitExceeded", Status::LimitExceeded},
                                                        {"Refused", Status::Refused},
                                                        {"IoError", Status::IoError}};
    return names.at(name);
}

std::string fileOf(const Checkpoint& doc, const TensorInfo& tensor)
{
    const StorageInfo& storage = doc.storages.at(static_cast<size_t>(tensor.storage));
    return QFileInfo(QString::fromStdString(doc.files.at(static_cast<size_t>(storage.file))->path()))
        .fileName()
        .toStdString();
}

} // namespace

void TestShardIndex::initTestCase()
{
    QVERIFY(m_dir.isValid());
    ProcessResult made =
        runProcess(CKPT_PYTHON, {CKPT_SOURCE_DIR "/tests/hostile/make_index_inputs.py", m_dir.path()}, 300000);
    QVERIFY2(made.exitCode == 0 && !made.crashed, qPrintable(made.err));
}

void TestShardIndex::matchesPython_data()
{
    QTest::addColumn<QString>("folder");
    const QStringList cases = QDir(m_dir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    QVERIFY(cases.size() >= 18);
    for (const QString& name : cases)
        QTest::newRow(qPrintable(name)) << QDir(m_dir.path()).filePath(name);
}

void TestShardIndex::matchesPython()
{
    QFETCH(QString, folder);
    const nlohmann::json truth = readJson(folder + "/truth.json");
    const QString index = folder + "/model.safetensors.index.json";

    // The index loader itself (loadCheckpoint picks it only for text that names "weight_map" early on).
    QElapsedTimer timer;
    timer.start();
    auto file = MappedFile::open(index.toStdString());
    QVERIFY(file.ok());
    Result<std::unique_ptr<Checkpoint>> loaded = loadSharded(file.value(), Progress{});
    const qint64 elapsedMs = timer.elapsed();

    if (truth["expect"] == "ok") {
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.substr(0, 500).c_str());
        const Checkpoint& doc = *loaded.value();
        QCOMPARE(doc.weightSets.size(), size_t(1));
        const auto& entries = doc.weightSets[0].entries;
        const auto& order = truth["order"];
        QCOMPARE(entries.size(), order.size());
        for (size_t i = 0; i < entries.size(); ++i) {
            QVERIFY2(entries[i].key == order[i].get<std::string>(), entries[i].key.substr(0, 200).c_str());
            // Every shard written holds the names it is given, so each name resolves, to the file Python says.
            if (truth["shard"][i].get<std::string>().size() > 255) continue;
            QVERIFY2(entries[i].tensor >= 0, entries[i].key.substr(0, 200).c_str());
            QCOMPARE(fileOf(doc, doc.tensors[static_cast<size_t>(entries[i].tensor)]),
                     truth["shard"][i].get<std::string>());
        }
        const auto wantMetadata = truth["metadata"].get<std::map<std::string, std::string>>();
        QVERIFY(doc.metadata == wantMetadata);
        // A generous cap, far above the measured 100,000-entry time (make bench): a quadratic reader takes minutes.
        QVERIFY2(elapsedMs < 20000, qPrintable(QString("took %1 ms").arg(elapsedMs)));
        return;
    }

    QVERIFY(!loaded.ok());
    const Error& error = loaded.error();
    QVERIFY2(error.status == statusFromName(truth["status"].get<std::string>()), error.detail.substr(0, 500).c_str());
    QVERIFY2(QString::fromStdString(error.detail).contains(QString::fromStdString(truth["message"])),
             error.detail.substr(0, 500).c_str());
    QVERIFY2(error.detail.size() < 1000, "the error quotes too much of the file");

    // The CLI says it in one short line that names the file (and the loader's words, where it picks the loader).
    ProcessResult cli = runCkpt({"info", index});
    QVERIFY(!cli.crashed && !cli.timedOut);
    QCOMPARE(cli.exitCode, 1);
    QVERIFY2(cli.err.contains(index), qPrintable(cli.err.left(500)));
    if (!cli.err.contains("not a PyTorch checkpoint"))
        QVERIFY2(cli.err.contains(QString::fromStdString(truth["message"])), qPrintable(cli.err.left(500)));
    QVERIFY2(cli.err.size() < 2000, qPrintable(cli.err.left(500)));
}

void TestShardIndex::depthLimitIsExact()
{
    // kMaxSpecJsonDepth levels are read (the top-level object is the first); one more is refused, naming the limit.
    auto nested = [](size_t levels) {
        std::string value = "1";
        for (size_t i = 2; i < levels; ++i)
            value = "[" + value + "]";
        return R"({"weight_map": {}, "metadata": {"x": )" + value + "}}";
    };
    QVERIFY(readShardIndex(nested(limits::kMaxSpecJsonDepth)).ok());
    Result<ShardIndex> deeper = readShardIndex(nested(limits::kMaxSpecJsonDepth + 1));
    QVERIFY(!deeper.ok());
    QCOMPARE(deeper.error().status, Status::LimitExceeded);
    QVERIFY(QString::fromStdString(deeper.error().detail).contains("kMaxSpecJsonDepth"));
}

QTEST_GUILESS_MAIN(TestShardIndex)
#include "tst_shardindex.moc"
