// ShardedTensor and DTensor values inside ordinary torch.save files (tests/fixtures/distributed/shardedvalues.py):
// genuine torch 1.13 ShardedTensors saved by two gloo ranks, an FSDP LOCAL_STATE_DICT flat parameter, and a
// synthetic-2.x DTensor. The oracle is what torch's own ShardedTensor API reported on the saving rank (and the
// generator's DTensor inputs), in <name>.truth.json: global shape and dtype, every shard's offsets, sizes and
// placement, the local shards' bytes. The enum-member getattr in their metadata is not a danger; any other getattr is.
#include <QCryptographicHash>
#include <QFile>
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <nlohmann/json.hpp>

#include "core/format/loader.h"
#include "support/runprocess.h"

using namespace ckpt;
using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString fixture(const QString& name)
{
    return QString(CKPT_DISTRIBUTED_DIR) + "/sharded_values/" + name;
}

json readTruth(const QString& name)
{
    QFile f(fixture(name));
    if (!f.open(QIODevice::ReadOnly)) return json();
    return json::parse(f.readAll().toStdString());
}

const TensorInfo* tensorAt(const Checkpoint& doc, const std::string& key)
{
    for (const TensorInfo& t : doc.tensors)
        if (!t.component && t.path.size() == 1 && t.path[0].key == key) return &t;
    return nullptr;
}

// SHA-256 of a contiguous tensor's bytes, as the generator hashed torch's local shard.
std::string sha256Of(const Checkpoint& doc, int tensor)
{
    const uint8_t* data = doc.tensorData(tensor);
    if (!data) return "no data";
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QByteArrayView(reinterpret_cast<const char*>(data), qsizetype(doc.tensors[size_t(tensor)].nbytes)));
    return hash.result().toHex().toStdString();
}

std::vector<int64_t> ints(const json& j)
{
    return j.get<std::vector<int64_t>>();
}

} // namespace

class TestShardedValues : public QObject
{
    Q_OBJECT

private slots:
    void shardedTensorsAsTorchSawThem_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("rank 0") << "st_rank0";
        QTest::newRow("rank 1") << "st_rank1";
    }
    void shardedTensorsAsTorchSawThem()
    {
        QFETCH(QString, file);
        json truth = readTruth(file + ".truth.json");
        QVERIFY2(!truth.is_null(), "fixture missing: run ctest -R generate_distributed_fixtures");
        auto loaded = loadCheckpoint(fixture(file + ".pt").toStdString());
        QVERIFY2(loaded, loaded ? "" : loaded.error().detail.c_str());
        const Checkpoint& doc = *loaded.value();
        QCOMPARE(doc.verdict(), Severity::Safe); // the getattr(MEM_FORMAT_ENCODING, ...) is no longer an alarm
        for (const auto& [key, want] : truth["values"].items()) {
            const TensorInfo* t = tensorAt(doc, key);
            QVERIFY2(t, key.c_str());
            QVERIFY2(t->problem.empty(), t->problem.c_str());
            QCOMPARE(std::string(dtypeName(t->dtype)), want["dtype"].get<std::string>());
            QCOMPARE(t->shape, ints(want["shape"]));
            QCOMPARE(t->storage, -1); // the global tensor has no bytes in this file
            QVERIFY(t->sharded >= 0);
            const ShardedValue& v = doc.shardedValues[size_t(t->sharded)];
            QCOMPARE(v.type, std::string("ShardedTensor"));
            QCOMPARE(v.rank, truth["rank"].get<int64_t>());
            QCOMPARE(v.worldSize, truth["world_size"].get<int64_t>());
            QCOMPARE(v.fsdpFlatParam, key == "_fsdp_wrapped_module.flat_param");
            QCOMPARE(v.global.size(), want["shards"].size());
            for (size_t i = 0; i < v.global.size(); ++i) {
                QCOMPARE(v.global[i].offsets, ints(want["shards"][i]["offsets"]));
                QCOMPARE(v.global[i].sizes, ints(want["shards"][i]["sizes"]));
                QCOMPARE(v.global[i].placement, want["shards"][i]["placement"].get<std::string>());
            }
            QCOMPARE(v.local.size(), want["local_shards"].size());
            for (size_t i = 0; i < v.local.size(); ++i) {
                const json& w = want["local_shards"][i];
                QCOMPARE(v.local[i].offsets, ints(w["offsets"]));
                QCOMPARE(v.local[i].sizes, ints(w["sizes"]));
                QCOMPARE(v.local[i].placement, w["placement"].get<std::string>());
                QVERIFY(v.local[i].tensor >= 0);
                const TensorInfo& local = doc.tensors[size_t(v.local[i].tensor)];
                QVERIFY(local.component);
                QCOMPARE(local.shape, ints(w["shape"]));
                QCOMPARE(sha256Of(doc, v.local[i].tensor), w["sha256"].get<std::string>());
            }
        }
        const TensorInfo* bias = tensorAt(doc, "bias"); // a plain tensor beside them is untouched
        QVERIFY(bias && bias->sharded < 0);
        QCOMPARE(sha256Of(doc, int(bias - doc.tensors.data())), truth["plain"]["bias"].get<std::string>());
    }

    void treeAndInfoShowThem()
    {
        ProcessResult r = runCkpt({"tree", "--json", fixture("st_rank1.pt")});
        QCOMPARE(r.exitCode, 0);
        json tree = json::parse(r.out.toStdString());
        json truth = readTruth("st_rank1.truth.json")["values"]["rows.weight"];
        bool found = false;
        for (const auto& t : tree["tensors"]) {
            if (t["path"] != json::array({"rows.weight"})) continue;
            found = true;
            QCOMPARE(t["shape"], truth["shape"]);
            QCOMPARE(t["sharded"]["type"].get<std::string>(), std::string("ShardedTensor"));
            QCOMPARE(t["sharded"]["rank"].get<int>(), 1);
            QCOMPARE(t["sharded"]["sharding_spec"].get<std::string>(), std::string("ChunkShardingSpec(dim=0)"));
            QCOMPARE(t["sharded"]["local"][0]["offsets"], truth["local_shards"][0]["offsets"]);
            const json& local = tree["tensors"][t["sharded"]["local"][0]["tensor"].get<size_t>()];
            QCOMPARE(local["path"], json::array({"rows.weight", "local_shard_0"}));
            QVERIFY(local["component"].get<bool>());
        }
        QVERIFY(found);
        r = runCkpt({"tree", fixture("st_rank1.pt")});
        QVERIFY2(r.out.contains("ShardedTensor, rank 1 of 2, ChunkShardingSpec(dim=1)"), qPrintable(r.out));
        r = runCkpt({"info", "--json", fixture("st_rank1.pt")});
        QCOMPARE(r.exitCode, 0);
        json info = json::parse(r.out.toStdString());
        QCOMPARE(info["security"]["verdict"].get<std::string>(), std::string("safe"));
        QCOMPARE(info["sharded"]["types"]["ShardedTensor"].get<int>(), 3);
        QCOMPARE(info["sharded"]["world_size"].get<int>(), 2);
        QCOMPARE(info["sharded"]["fsdp_flat_params"], json::array({"_fsdp_wrapped_module.flat_param"}));
        bool flatFinding = false;
        for (const auto& f : info["findings"])
            flatFinding = flatFinding || f["what"].get<std::string>().find("FSDP flat parameter") != std::string::npos;
        QVERIFY2(flatFinding, qPrintable(r.out));
    }

    // Each near miss is a genuine rank file plus one getattr outside the allowance: the verdict stays dangerous.
    void otherGetattrStaysDangerous_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("unlisted member of MEM_FORMAT_ENCODING") << "st_nearmiss_member.pt";
        QTest::newRow("listed member name on another class") << "st_nearmiss_owner.pt";
        QTest::newRow("other attribute of ShardedTensor") << "st_nearmiss_nested.pt";
    }
    void otherGetattrStaysDangerous()
    {
        QFETCH(QString, file);
        auto loaded = loadCheckpoint(fixture(file).toStdString());
        QVERIFY2(loaded, loaded ? "" : loaded.error().detail.c_str());
        QCOMPARE(loaded.value()->verdict(), Severity::Dangerous);
        bool named = false;
        for (const GlobalRef& g : loaded.value()->globals)
            named = named || (g.module == "builtins" && g.name == "getattr" && g.severity == Severity::Dangerous);
        QVERIFY(named);
        // The sharded values are still read.
        const TensorInfo* t = tensorAt(*loaded.value(), "rows.weight");
        QVERIFY(t && t->sharded >= 0);
    }

    void dtensorAsWritten()
    {
        json truth = readTruth("dtensor_rank1.truth.json");
        QVERIFY2(!truth.is_null(), "fixture missing: run ctest -R generate_distributed_fixtures");
        auto loaded = loadCheckpoint(fixture("dtensor_rank1.pt").toStdString());
        QVERIFY2(loaded, loaded ? "" : loaded.error().detail.c_str());
        const Checkpoint& doc = *loaded.value();
        for (const auto& [key, want] : truth["values"].items()) {
            const TensorInfo* t = tensorAt(doc, key);
            QVERIFY2(t, key.c_str());
            QVERIFY2(t->problem.empty(), t->problem.c_str());
            QCOMPARE(t->shape, ints(want["shape"]));
            QCOMPARE(std::string(dtypeName(t->dtype)), want["dtype"].get<std::string>());
            QCOMPARE(t->location, truth["device"].get<std::string>()); // the baked-in cuda:N
            QVERIFY(t->sharded >= 0);
            const ShardedValue& v = doc.shardedValues[size_t(t->sharded)];
            QCOMPARE(v.type, std::string("DTensor"));
            QCOMPARE(v.rank, truth["rank"].get<int64_t>());
            QCOMPARE(v.worldSize, truth["world_size"].get<int64_t>());
            QCOMPARE(v.meshShape, ints(truth["mesh_shape"]));
            QCOMPARE(v.placements, want["placements"].get<std::vector<std::string>>());
            QCOMPARE(v.local.size(), size_t(1));
            const TensorInfo& local = doc.tensors[size_t(v.local[0].tensor)];
            QCOMPARE(local.shape, ints(want["local_shape"]));
            QCOMPARE(v.local[0].offsets, ints(want["local_offsets"]));
            QCOMPARE(v.local[0].sizes, ints(want["local_shape"]));
            QCOMPARE(sha256Of(doc, v.local[0].tensor), want["local_sha256"].get<std::string>());
        }
    }
};

QTEST_GUILESS_MAIN(TestShardedValues)
#include "tst_shardedvalues.moc"
