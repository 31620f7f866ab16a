// FlatStringIndex, the key aligner's hash table: it must agree with std::unordered_map on every lookup,
// across growth and on keys that share long prefixes (as state-dict keys do).
#include <QTest>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/analysis/flatstringindex.h"

using namespace ckpt;

class TestFlatStringIndex : public QObject
{
    Q_OBJECT

private slots:
    void firstValueStays();
    void emptyKeyIsAKey();
    void agreesWithUnorderedMapWhileGrowing();
};

void TestFlatStringIndex::firstValueStays()
{
    FlatStringIndex index;
    QVERIFY(index.find("a") == nullptr);
    auto [value, inserted] = index.tryEmplace("a", 7);
    QVERIFY(inserted);
    QCOMPARE(*value, 7);
    auto [again, insertedAgain] = index.tryEmplace("a", 9);
    QVERIFY(!insertedAgain);
    QCOMPARE(*again, 7);
    *again = 11; // the slot is the caller's to update (the aligner chains postings through it)
    QCOMPARE(*index.find("a"), 11);
    QCOMPARE(index.size(), size_t(1));
}

void TestFlatStringIndex::emptyKeyIsAKey()
{
    FlatStringIndex index(4);
    QVERIFY(index.find("") == nullptr);
    index.tryEmplace("", 3);
    QCOMPARE(*index.find(""), 3);
    QVERIFY(index.find("x") == nullptr);
}

void TestFlatStringIndex::agreesWithUnorderedMapWhileGrowing()
{
    // Sized for 1 and filled with 20,000: every doubling rehashes what is already there.
    std::vector<std::string> keys;
    for (int i = 0; i < 10000; ++i) {
        keys.push_back("module.block." + std::to_string(i) + ".weight");
        keys.push_back("module.block." + std::to_string(i) + ".bias");
    }
    FlatStringIndex index(1);
    std::unordered_map<std::string, int32_t> truth;
    for (size_t i = 0; i < keys.size(); ++i) {
        bool inserted = index.tryEmplace(keys[i], static_cast<int32_t>(i)).second;
        QCOMPARE(inserted, truth.emplace(keys[i], static_cast<int32_t>(i)).second);
    }
    QCOMPARE(index.size(), truth.size());
    for (const auto& [key, value] : truth) {
        const int32_t* found = index.find(key);
        QVERIFY2(found, key.c_str());
        QCOMPARE(*found, value);
    }
    QVERIFY(index.find("module.block.10000.weight") == nullptr);
    QVERIFY(index.find("module.block.1.weigh") == nullptr);
}

QTEST_APPLESS_MAIN(TestFlatStringIndex)
#include "tst_flatstringindex.moc"
