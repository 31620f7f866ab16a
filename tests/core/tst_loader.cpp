// The engine's document must equal what real PyTorch says about every fixture, field by field.
#include <QTest>

#include <cmath>
#include <filesystem>
#include <map>
#include <zlib.h>

#include "core/format/loader.h"
#include "support/fixturetruth.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

json pathJson(const Path& path)
{
    json out = json::array();
    for (const PathElement& e : path) {
        if (e.isIndex)
            out.push_back(e.index);
        else
            out.push_back(e.key);
    }
    return out;
}

std::string describe(const json& j)
{
    return j.dump();
}

#define CHECK_EQ_JSON(actual, expected, what)                                                                          \
    do {                                                                                                               \
        json a_ = (actual), e_ = (expected);                                                                           \
        if (a_ != e_)                                                                                                  \
            QFAIL(qPrintable(QString::fromStdString(std::string(what) + ": engine " + describe(a_) + " != torch " +    \
                                                    describe(e_))));                                                   \
    } while (0)

} // namespace

class TestLoader : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(!test::fixtures().empty(), "no fixtures: run the generate_fixtures test first"); }

    void matchesTruth_data()
    {
        QTest::addColumn<std::string>("name");
        for (const test::FixtureEntry& entry : test::fixtures())
            QTest::newRow(entry.name.c_str()) << entry.name;
    }

    void matchesTruth()
    {
        QFETCH(std::string, name);
        test::FixtureEntry entry;
        for (const test::FixtureEntry& e : test::fixtures())
            if (e.name == name) entry = e;
        json truth = test::truthFor(entry);
        QVERIFY2(truth.is_object(), "truth file missing");

        auto loaded = loadCheckpoint(entry.file);
        if (truth.value("error", false)) {
            QVERIFY2(!loaded.ok(), "a broken file must not load");
            QVERIFY(!loaded.error().detail.empty());
            return;
        }
        QVERIFY2(loaded.ok(), qPrintable(QString::fromStdString(loaded ? "" : loaded.error().describe(entry.file))));
        const Checkpoint& doc = *loaded.value();
        CHECK_EQ_JSON(formatName(doc.format), truth["format"], "format");
        if (truth.contains("kind")) CHECK_EQ_JSON(kindName(doc.kind), truth["kind"], "kind");
        if (truth.contains("tensors")) checkTensors(doc, truth["tensors"]);
        if (truth.contains("weight_sets")) checkWeightSets(doc, truth["weight_sets"]);
        if (truth.contains("values")) checkValues(doc, truth["values"]);
        if (truth.contains("globals")) checkGlobals(doc, truth);
    }

private:
    void checkTensors(const Checkpoint& doc, const json& expected)
    {
        std::vector<const TensorInfo*> tensors;
        for (const TensorInfo& t : doc.tensors)
            if (!t.component) tensors.push_back(&t);
        QCOMPARE(tensors.size(), expected.size());
        std::map<int, int> groupToStorage, storageToGroup;
        for (size_t i = 0; i < tensors.size(); ++i) {
            const TensorInfo& t = *tensors[i];
            const json& e = expected[i];
            std::string where = "tensor " + std::to_string(i) + " " + e["path"].dump();
            CHECK_EQ_JSON(pathJson(t.path), e["path"], where + " path");
            CHECK_EQ_JSON(std::string(dtypeName(t.dtype)), e["dtype"], where + " dtype");
            CHECK_EQ_JSON(t.shape, e["shape"], where + " shape");
            if (e.contains("stride") && !e["stride"].is_null()) CHECK_EQ_JSON(t.stride, e["stride"], where + " stride");
            if (e.contains("offset") && !e["offset"].is_null()) CHECK_EQ_JSON(t.offset, e["offset"], where + " offset");
            if (e.contains("location")) CHECK_EQ_JSON(t.location, e["location"], where + " location");
            CHECK_EQ_JSON(t.nbytes, e["nbytes"], where + " nbytes");
            CHECK_EQ_JSON(t.parameter, e["parameter"], where + " parameter");
            CHECK_EQ_JSON(t.requiresGrad, e["requires_grad"], where + " requires_grad");
            CHECK_EQ_JSON(std::string(layoutName(t.layout)), e.value("layout", "strided"), where + " layout");
            QVERIFY2(t.problem.empty(), qPrintable(QString::fromStdString(where + ": " + t.problem)));
            if (e.contains("storage_group") && !e["storage_group"].is_null()) {
                int group = e["storage_group"].get<int>();
                auto g = groupToStorage.emplace(group, t.storage).first;
                auto s = storageToGroup.emplace(t.storage, group).first;
                QVERIFY2(g->second == t.storage && s->second == group,
                         qPrintable(QString::fromStdString(where + ": storage sharing differs from torch")));
                CHECK_EQ_JSON(doc.storages[t.storage].nbytes, e["storage_nbytes"], where + " storage bytes");
            }
            if (e.contains("head_hex")) {
                const uint8_t* data = doc.tensorData(static_cast<int>(&t - doc.tensors.data()));
                QVERIFY2(data, qPrintable(QString::fromStdString(where + ": bytes not available")));
                uint64_t available = doc.storages[t.storage].nbytes - t.offset * dtypeElementSize(t.dtype);
                size_t n = std::min<uint64_t>(64, available);
                CHECK_EQ_JSON(test::toHex(data, n), e["head_hex"], where + " first bytes");
                const uint8_t* whole = doc.storageData(t.storage);
                uLong crc = crc32(0L, Z_NULL, 0);
                uint64_t left = doc.storages[t.storage].nbytes;
                for (const uint8_t* p = whole; left > 0;) {
                    uInt chunk = static_cast<uInt>(std::min<uint64_t>(left, 1u << 30));
                    crc = crc32(crc, p, chunk);
                    p += chunk;
                    left -= chunk;
                }
                CHECK_EQ_JSON(static_cast<uint64_t>(crc), e["storage_crc32"], where + " storage crc32");
            }
        }
    }

    void checkWeightSets(const Checkpoint& doc, const json& expected)
    {
        QCOMPARE(doc.weightSets.size(), expected.size());
        for (const json& e : expected) {
            const WeightSet* found = nullptr;
            for (const WeightSet& set : doc.weightSets)
                if (pathJson(set.at) == e["at"]) found = &set;
            QVERIFY2(found, qPrintable(QString::fromStdString("no weight set at " + e["at"].dump())));
            json keys = json::array();
            for (const WeightEntry& entry : found->entries) {
                keys.push_back(entry.key);
                QVERIFY2(entry.tensor >= 0, qPrintable(QString::fromStdString("no tensor for key " + entry.key)));
            }
            CHECK_EQ_JSON(keys, e["keys"], "weight set keys at " + e["at"].dump());
            if (e.contains("derived")) CHECK_EQ_JSON(found->derived, e["derived"], "derived flag at " + e["at"].dump());
        }
    }

    void checkValues(const Checkpoint& doc, const json& expected)
    {
        QCOMPARE(doc.values.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            const PlainValue& v = doc.values[i];
            const json& e = expected[i];
            std::string where = "value " + e["path"].dump();
            CHECK_EQ_JSON(pathJson(v.path), e["path"], where + " path");
            const std::string type = e["type"];
            const Value* value = v.value;
            if (type == "none")
                QVERIFY(value->kind == ValueKind::None);
            else if (type == "bool")
                CHECK_EQ_JSON(value->kind == ValueKind::Bool && value->boolean, e["value"], where);
            else if (type == "int")
                CHECK_EQ_JSON(value->integer, e["value"], where);
            else if (type == "str")
                CHECK_EQ_JSON(value->text, e["value"], where);
            else if (type == "bytes")
                CHECK_EQ_JSON(test::toHex(reinterpret_cast<const uint8_t*>(value->text.data()), value->text.size()),
                              e["value"], where);
            else if (type == "float") {
                QVERIFY2(value->kind == ValueKind::Float, where.c_str());
                if (e["value"].is_number()) QCOMPARE(value->real, e["value"].get<double>());
            } else {
                QVERIFY2(value->kind == ValueKind::Object || value->kind == ValueKind::Global ||
                             value->kind == ValueKind::Set || value->kind == ValueKind::FrozenSet ||
                             value->kind == ValueKind::BigInt,
                         qPrintable(QString::fromStdString(where + " should be an opaque object")));
            }
        }
    }

    void checkGlobals(const Checkpoint& doc, const json& truth)
    {
        json seen = json::array();
        for (const GlobalRef& g : doc.globals)
            seen.push_back({g.module, g.name});
        CHECK_EQ_JSON(seen, truth["globals"], "globals");
        json dangerous = json::array();
        for (const GlobalRef& g : doc.globals)
            if (g.severity == Severity::Dangerous) dangerous.push_back(g.module + "." + g.name);
        if (truth.contains("dangerous")) CHECK_EQ_JSON(dangerous, truth["dangerous"], "dangerous globals");
    }
};

QTEST_GUILESS_MAIN(TestLoader)
#include "tst_loader.moc"
