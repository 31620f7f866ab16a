// ValueList, the items/entries container of every Value: it must behave as std::vector does for every call the
// code base makes (the oracle below is std::vector itself), in arena memory and on the heap, and a copy must never
// point into the arena it was copied from.
#include <QTest>

#include <random>
#include <utility>
#include <vector>

#include "core/pickle/unpickler.h"
#include "core/pickle/value.h"

using namespace ckpt;

class TestValueList : public QObject
{
    Q_OBJECT

private slots:
    void agreesWithVectorUnderRandomCalls_data();
    void agreesWithVectorUnderRandomCalls();
    void copyOutlivesTheArena();
    void unpicklerFillsListsInTheArena();
};

namespace
{

bool same(const ValueList<const Value*>& list, const std::vector<const Value*>& oracle)
{
    return std::vector<const Value*>(list) == oracle;
}

} // namespace

void TestValueList::agreesWithVectorUnderRandomCalls_data()
{
    QTest::addColumn<bool>("arena");
    QTest::newRow("heap") << false;
    QTest::newRow("arena") << true;
}

void TestValueList::agreesWithVectorUnderRandomCalls()
{
    QFETCH(bool, arena);
    ValueArena values;
    std::vector<const Value*> pool;
    for (int i = 0; i < 16; ++i)
        pool.push_back(values.make(ValueKind::Int));
    std::mt19937 random(12345);
    auto pick = [&] { return pool[random() % pool.size()]; };
    ValueList<const Value*> list;
    std::vector<const Value*> oracle;
    for (int step = 0; step < 20000; ++step) {
        switch (random() % 9) {
        case 0:
        case 1: { // push_back, in the arena the way the unpickler appends
            const Value* v = pick();
            if (arena) values.reserveList(list, list.size() + 1);
            list.push_back(v);
            oracle.push_back(v);
            break;
        }
        case 2: // push_back of one of its own elements (reallocation must not read freed memory)
            if (!oracle.empty()) {
                size_t i = random() % oracle.size();
                list.push_back(list[i]);
                oracle.push_back(oracle[i]);
            }
            break;
        case 3: { // insert a range anywhere
            size_t at = oracle.empty() ? 0 : random() % (oracle.size() + 1);
            std::vector<const Value*> more{pick(), pick(), pick()};
            list.insert(list.begin() + at, more.begin(), more.end());
            oracle.insert(oracle.begin() + static_cast<std::ptrdiff_t>(at), more.begin(), more.end());
            break;
        }
        case 4: // erase one
            if (!oracle.empty()) {
                size_t at = random() % oracle.size();
                list.erase(list.begin() + at);
                oracle.erase(oracle.begin() + static_cast<std::ptrdiff_t>(at));
            }
            break;
        case 5: { // resize, both ways
            size_t size = random() % 40;
            list.resize(size, pool[0]);
            oracle.resize(size, pool[0]);
            break;
        }
        case 6: { // assign from a vector, sometimes in arena memory first
            std::vector<const Value*> fresh(random() % 10, pick());
            if (arena) values.reserveList(list, fresh.size());
            list.assign(fresh.begin(), fresh.end());
            oracle = fresh;
            break;
        }
        case 7: { // copy and move round trips
            ValueList<const Value*> copy = list;
            QVERIFY(copy.empty() || copy.data() != list.data());
            ValueList<const Value*> moved = std::move(copy);
            list = moved;
            break;
        }
        case 8:
            if (random() % 50 == 0) {
                list.clear();
                oracle.clear();
            }
            break;
        }
        QVERIFY2(same(list, oracle), qPrintable(QString("differs from std::vector after step %1").arg(step)));
    }
}

void TestValueList::copyOutlivesTheArena()
{
    ValueArena* arena = new ValueArena;
    Value* list = arena->make(ValueKind::List);
    Value* item = arena->make(ValueKind::Int);
    arena->reserveList(list->items, 100);
    for (int i = 0; i < 100; ++i)
        list->items.push_back(item);
    Value copy = *list;
    QVERIFY(copy.items.data() != list->items.data());
    delete arena; // the copy's elements are its own: reading them after this must be fine (ASan run checks it)
    QCOMPARE(copy.items.size(), size_t(100));
    QVERIFY(copy.items[99] == item); // the pointer value only; the pointee is gone with the arena
}

void TestValueList::unpicklerFillsListsInTheArena()
{
    // Protocol 2, as CPython's pickle.py writes [[0, 1, 2], ..., (0, 1)]: PROTO 2, EMPTY_LIST, MARK, items, APPENDS,
    // STOP; inner lists through EMPTY_LIST + MARK + BININT1... + APPENDS, one TUPLE2.
    std::vector<uint8_t> bytes{0x80, 2, ']', '('};
    const int lists = 300;
    for (int i = 0; i < lists; ++i) {
        bytes.insert(bytes.end(), {']', '(', 'K', 0, 'K', 1, 'K', 2, 'e'});
    }
    bytes.insert(bytes.end(), {'K', 0, 'K', 1, 0x86, 'e', '.'});
    ValueArena arena;
    auto parsed = unpickle(bytes.data(), bytes.size(), arena);
    QVERIFY2(parsed, parsed ? "" : parsed.error().detail.c_str());
    const Value* root = parsed.value().root;
    QCOMPARE(root->kind, ValueKind::List);
    QCOMPARE(root->items.size(), size_t(lists + 1));
    for (int i = 0; i < lists; ++i) {
        const Value* inner = root->items[static_cast<size_t>(i)];
        QCOMPARE(inner->kind, ValueKind::List);
        QCOMPARE(inner->items.size(), size_t(3));
        for (int k = 0; k < 3; ++k)
            QCOMPARE(inner->items[static_cast<size_t>(k)]->integer, int64_t(k));
    }
    const Value* pair = root->items.back();
    QCOMPARE(pair->kind, ValueKind::Tuple);
    QCOMPARE(pair->items.size(), size_t(2));
    QCOMPARE(pair->items[1]->integer, int64_t(1));
}

QTEST_APPLESS_MAIN(TestValueList)
#include "tst_valuelist.moc"
