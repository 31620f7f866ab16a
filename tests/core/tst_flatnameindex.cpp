// FlatNameIndex, the name index of the safetensors header and shard index readers and of ZipArchive: against
// std::unordered_map as the oracle, across growth, on names that share long prefixes (as tensor names do), with
// repeated names (the first entry keeps the name) and lookups of absent names.
#include <QTest>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/io/flatnameindex.h"

using namespace ckpt;

class TestFlatNameIndex : public QObject
{
    Q_OBJECT

private slots:
    void agreesWithUnorderedMap();
    void emptyIndexFindsNothing();
};

void TestFlatNameIndex::agreesWithUnorderedMap()
{
    std::mt19937 random(16);
    std::vector<std::string> names; // entry number -> name, as a reader keeps them
    std::unordered_map<std::string, int32_t> oracle;
    FlatNameIndex index;
    index.reserve(100); // then grows well past it
    auto nameOf = [&](int32_t entry) { return std::string_view(names[static_cast<size_t>(entry)]); };
    for (int i = 0; i < 60000; ++i) {
        const std::string name =
            "model.layers." + std::to_string(random() % 30000) + ".mlp.experts.w" + std::to_string(random() % 3);
        const auto next = static_cast<int32_t>(names.size());
        auto [entry, fresh] = index.findOrAdd(name, next, nameOf);
        auto [expected, inserted] = oracle.try_emplace(name, next);
        QCOMPARE(fresh, inserted);
        QCOMPARE(entry, expected->second);
        if (fresh) names.push_back(name);
        const std::string absent = name + "#";
        QCOMPARE(index.find(absent, nameOf), int32_t(-1));
    }
    QVERIFY(oracle.size() > 30000 && oracle.size() < 60000); // both new and repeated names were seen
    for (const auto& [name, entry] : oracle)
        QCOMPARE(index.find(name, nameOf), entry);
    index.clear();
    QCOMPARE(index.find(names.front(), nameOf), int32_t(-1));
}

void TestFlatNameIndex::emptyIndexFindsNothing()
{
    FlatNameIndex index;
    QCOMPARE(index.find("", [](int32_t) { return std::string_view(); }), int32_t(-1));
    auto [entry, fresh] = index.findOrAdd("", 0, [](int32_t) { return std::string_view(); });
    QVERIFY(fresh);
    QCOMPARE(entry, int32_t(0));
    QCOMPARE(index.find("", [](int32_t) { return std::string_view(); }), int32_t(0)); // the empty name is a name
}

QTEST_APPLESS_MAIN(TestFlatNameIndex)
#include "tst_flatnameindex.moc"
