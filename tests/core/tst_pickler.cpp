// The protocol-2 pickler, checked against Python's own unpickler: every value kind, memo sharing, cycles,
// batching, big memo indices, and the errors for graphs protocol 2 cannot express.
#include <QTemporaryDir>
#include <QTest>

#include "core/limits.h"
#include "core/pickle/pickler.h"
#include "support/exportsupport.h"

using namespace ckpt;

namespace
{

class Graph
{
public:
    Value* none() { return m_arena.make(ValueKind::None); }
    Value* boolean(bool b)
    {
        Value* v = m_arena.make(ValueKind::Bool);
        v->boolean = b;
        return v;
    }
    Value* integer(int64_t i)
    {
        Value* v = m_arena.make(ValueKind::Int);
        v->integer = i;
        return v;
    }
    Value* real(double d)
    {
        Value* v = m_arena.make(ValueKind::Float);
        v->real = d;
        return v;
    }
    Value* str(const std::string& s)
    {
        Value* v = m_arena.make(ValueKind::String);
        v->text = s;
        return v;
    }
    Value* bytes(const std::string& s)
    {
        Value* v = m_arena.make(ValueKind::Bytes);
        v->text = s;
        return v;
    }
    Value* seq(ValueKind kind, std::vector<const Value*> items)
    {
        Value* v = m_arena.make(kind);
        v->items = std::move(items);
        return v;
    }
    Value* dict(std::vector<std::pair<const Value*, const Value*>> entries)
    {
        Value* v = m_arena.make(ValueKind::Dict);
        v->entries = std::move(entries);
        return v;
    }
    Value* global(const std::string& module, const std::string& name)
    {
        Value* v = m_arena.make(ValueKind::Global);
        v->text = module;
        v->text2 = name;
        return v;
    }
    Value* object(ObjectHow how, const Value* callable, const Value* args)
    {
        Value* v = m_arena.make(ValueKind::Object);
        v->how = how;
        v->callable = callable;
        v->args = args;
        return v;
    }

private:
    ValueArena m_arena;
};

} // namespace

class TestPickler : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // Dumps `root`, then has Python unpickle it and evaluate `check` with the result bound to `obj`.
    void expectPython(const Value* root, const QString& check)
    {
        Result<std::string> dumped = Pickler::dump(root);
        QVERIFY2(dumped.ok(), dumped.ok() ? "" : dumped.error().detail.c_str());
        QString path = m_dir.filePath("p.pkl");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(dumped.value().data(), static_cast<qint64>(dumped.value().size()));
        file.close();
        QString code = "import pickle, pickletools, sys, collections, argparse\n"
                       "data = open(sys.argv[1], 'rb').read()\n"
                       "assert data[:2] == b'\\x80\\x02', data[:2]\n"
                       "for op, arg, pos in pickletools.genops(data):\n"
                       "    assert op.proto <= 2, op.name\n"
                       "obj = pickle.loads(data)\n"
                       "ok = " +
                       check +
                       "\n"
                       "print(repr(obj)[:300])\n"
                       "sys.exit(0 if ok else 5)\n";
        exporttest::Run run = exporttest::python(code, {path});
        QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void scalars()
    {
        Graph g;
        std::vector<const Value*> items = {g.none(), g.boolean(true), g.boolean(false)};
        for (int64_t i : {int64_t(0), int64_t(255), int64_t(256), int64_t(65535), int64_t(65536), int64_t(-1),
                          int64_t(INT32_MAX), int64_t(INT32_MIN), int64_t(1) << 40, -(int64_t(1) << 35),
                          int64_t(INT64_MAX), int64_t(INT64_MIN), int64_t(128) << 32})
            items.push_back(g.integer(i));
        Value* big = g.none();
        big->kind = ValueKind::BigInt;
        big->text = std::string(9, '\0') + "\x01"; // 2**72
        items.push_back(big);
        items.push_back(g.real(2.5));
        items.push_back(g.real(-0.0));
        items.push_back(g.real(1e300));
        items.push_back(g.str("h\xc3\xa9llo \xe2\x9c\x93"));
        items.push_back(g.str(""));
        items.push_back(g.bytes(std::string("\x00\x01\xff", 3)));
        items.push_back(g.bytes(""));
        expectPython(g.seq(ValueKind::List, items),
                     "obj == [None, True, False, 0, 255, 256, 65535, 65536, -1, 2**31-1, -2**31, 2**40, -2**35, "
                     "2**63-1, -2**63, 128 * 2**32, 2**72, 2.5, -0.0, 1e300, 'h\\u00e9llo \\u2713', '', "
                     "b'\\x00\\x01\\xff', b''] and str(obj[18]) == '-0.0'");
    }

    void containers()
    {
        Graph g;
        std::vector<const Value*> many;
        for (int i = 0; i < 2500; ++i)
            many.push_back(g.integer(i));
        std::vector<std::pair<const Value*, const Value*>> entries;
        for (int i = 0; i < 1500; ++i)
            entries.emplace_back(g.integer(i), g.str(std::to_string(i)));
        Value* root = g.dict({
            {g.str("one"), g.seq(ValueKind::List, {g.integer(7)})},
            {g.str("many"), g.seq(ValueKind::List, many)},
            {g.str("empty_list"), g.seq(ValueKind::List, {})},
            {g.str("t0"), g.seq(ValueKind::Tuple, {})},
            {g.str("t1"), g.seq(ValueKind::Tuple, {g.integer(1)})},
            {g.str("t2"), g.seq(ValueKind::Tuple, {g.integer(1), g.integer(2)})},
            {g.str("t3"), g.seq(ValueKind::Tuple, {g.integer(1), g.integer(2), g.integer(3)})},
            {g.str("t5"), g.seq(ValueKind::Tuple, {g.integer(1), g.integer(2), g.integer(3), g.integer(4), g.none()})},
            {g.str("single"), g.dict({{g.integer(3), g.real(0.5)}})},
            {g.str("int_keys"), g.dict(entries)},
            {g.str("set"), g.seq(ValueKind::Set, {g.integer(1), g.str("a")})},
            {g.str("frozen"), g.seq(ValueKind::FrozenSet, {g.integer(2)})},
            {g.str("empty_set"), g.seq(ValueKind::Set, {})},
        });
        expectPython(root, "obj['one'] == [7] and obj['many'] == list(range(2500)) and obj['empty_list'] == [] and "
                           "obj['t0'] == () and obj['t1'] == (1,) and obj['t2'] == (1, 2) and obj['t3'] == (1, 2, 3) "
                           "and obj['t5'] == (1, 2, 3, 4, None) and obj['single'] == {3: 0.5} and "
                           "obj['int_keys'] == {i: str(i) for i in range(1500)} and obj['set'] == {1, 'a'} and "
                           "obj['frozen'] == frozenset({2}) and obj['empty_set'] == set() and "
                           "list(obj)[0] == 'one' and list(obj)[-1] == 'empty_set'");
    }

    void sharingAndCycles()
    {
        Graph g;
        Value* shared = g.seq(ValueKind::List, {g.integer(1), g.integer(2)});
        Value* selfList = g.seq(ValueKind::List, {});
        selfList->items.push_back(selfList);
        Value* tuple = g.seq(ValueKind::Tuple, {shared, g.str("x")});
        Value* root = g.seq(ValueKind::Tuple, {shared, shared, selfList, tuple, tuple});
        expectPython(root, "obj[0] is obj[1] and obj[2][0] is obj[2] and obj[3] is obj[4] and obj[3][0] is obj[0]");
    }

    void manyMemoEntries()
    {
        // More than 256 memoized values: LONG_BINPUT / LONG_BINGET must be used and read back right.
        Graph g;
        std::vector<const Value*> strings;
        for (int i = 0; i < 400; ++i)
            strings.push_back(g.str("s" + std::to_string(i)));
        std::vector<const Value*> items = strings;
        items.insert(items.end(), strings.begin(), strings.end());
        expectPython(g.seq(ValueKind::List, items),
                     "len(obj) == 800 and all(obj[i] is obj[i + 400] and obj[i] == 's%d' % i for i in range(400))");
    }

    void objects()
    {
        Graph g;
        // OrderedDict(): REDUCE, SETITEMS, BUILD {'_metadata': ...} exactly as a state dict is written.
        Value* metadata =
            g.object(ObjectHow::Reduce, g.global("collections", "OrderedDict"), g.seq(ValueKind::Tuple, {}));
        metadata->entries = {{g.str(""), g.dict({{g.str("version"), g.integer(1)}})}};
        Value* state = g.object(ObjectHow::Reduce, g.global("collections", "OrderedDict"), g.seq(ValueKind::Tuple, {}));
        state->entries = {{g.str("b"), g.integer(2)}, {g.str("a"), g.integer(1)}};
        state->hasState = true;
        state->state = g.dict({{g.str("_metadata"), metadata}});
        // argparse.Namespace: NEWOBJ + BUILD with its __dict__.
        Value* ns = g.object(ObjectHow::NewObj, g.global("argparse", "Namespace"), g.seq(ValueKind::Tuple, {}));
        ns->hasState = true;
        ns->state = g.dict({{g.str("lr"), g.real(0.1)}, {g.str("arch"), g.str("resnet")}});
        // OBJ/INST spelling, and an object with APPENDed items (a list subclass would look like this).
        Value* inst = g.object(ObjectHow::Inst, g.global("collections", "OrderedDict"), g.seq(ValueKind::Tuple, {}));
        Value* deque = g.object(ObjectHow::Reduce, g.global("collections", "deque"), g.seq(ValueKind::Tuple, {}));
        deque->items = {g.integer(4), g.integer(5)};
        Value* newobjEx =
            g.object(ObjectHow::NewObjEx, g.global("collections", "OrderedDict"), g.seq(ValueKind::Tuple, {}));
        newobjEx->kwargs = g.dict({});
        Value* root = g.seq(ValueKind::List, {state, ns, inst, deque, newobjEx, g.global("builtins", "len")});
        expectPython(root, "type(obj[0]) is collections.OrderedDict and list(obj[0].items()) == [('b', 2), ('a', 1)] "
                           "and obj[0]._metadata == {'': {'version': 1}} and "
                           "type(obj[0]._metadata) is collections.OrderedDict and "
                           "obj[1] == argparse.Namespace(lr=0.1, arch='resnet') and "
                           "type(obj[2]) is collections.OrderedDict and list(obj[3]) == [4, 5] and "
                           "type(obj[4]) is collections.OrderedDict and obj[5] is len");
    }

    void persistentIdsNeedAPersistentLoad()
    {
        Graph g;
        Value* pid = g.seq(ValueKind::PersistentId, {g.seq(ValueKind::Tuple, {g.str("storage"), g.str("0")})});
        Value* root = g.seq(ValueKind::List, {pid, pid});
        Result<std::string> dumped = Pickler::dump(root);
        QVERIFY(dumped.ok());
        QString path = m_dir.filePath("pid.pkl");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(dumped.value().data(), static_cast<qint64>(dumped.value().size()));
        file.close();
        QString code = "import pickle, sys\n"
                       "seen = []\n"
                       "class U(pickle.Unpickler):\n"
                       "    def persistent_load(self, pid):\n"
                       "        seen.append(pid); return object()\n"
                       "obj = U(open(sys.argv[1], 'rb')).load()\n"
                       "sys.exit(0 if seen == [('storage', '0')] and obj[0] is obj[1] else 5)\n";
        exporttest::Run run = exporttest::python(code, {path});
        QVERIFY2(run.exitCode == 0, (run.out + run.err).constData());
    }

    void refusesWhatProtocolTwoCannotSay()
    {
        Graph g;
        Value* tuple = g.seq(ValueKind::Tuple, {});
        Value* list = g.seq(ValueKind::List, {tuple});
        tuple->items.push_back(list); // a tuple containing itself through a list
        Result<std::string> cyclic = Pickler::dump(tuple);
        QVERIFY(!cyclic.ok());
        QCOMPARE(cyclic.error().status, Status::Unsupported);

        Value* deep = g.seq(ValueKind::List, {});
        Value* top = deep;
        for (size_t i = 0; i < limits::kMaxGraphDepth + 10; ++i) {
            Value* next = g.seq(ValueKind::List, {});
            top->items.push_back(next);
            top = next;
        }
        Result<std::string> tooDeep = Pickler::dump(deep);
        QVERIFY(!tooDeep.ok());
        QCOMPARE(tooDeep.error().status, Status::LimitExceeded);
        QVERIFY(tooDeep.error().detail.find("kMaxGraphDepth") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestPickler)
#include "tst_pickler.moc"
