// The bounded graph visitor and the walkers built on it, in process: TorchScript module collection and the
// `_metadata` walk over a module that names its child twice per level (2^40 paths) end within seconds with a clear
// finding or error; views are checked in bytes; exceptions become Result errors at the entry points; protocol-0
// floats read the same under a German locale. Inputs are built here or by tests/hostile/make_graph_inputs.py.
#include <QTest>

#include <QElapsedTimer>

#include <clocale>
#include <new>

#include <nlohmann/json.hpp>

#include "core/catchboundary.h"
#include "core/edit/renameplan.h"
#include "core/edit/statedictbuilder.h"
#include "core/format/loader.h"
#include "core/format/torchgraph.h"
#include "core/graph/graphvisitor.h"
#include "core/limits.h"
#include "core/model/viewbounds.h"
#include "core/pickle/unpickler.h"
#include "support/hostilesupport.h"

using namespace ckpt;

namespace
{

constexpr qint64 kTimeCapMs = 10000;

Value* str(ValueArena& arena, const std::string& text)
{
    Value* v = arena.make(ValueKind::String);
    v->text = text;
    return v;
}

Value* global(ValueArena& arena, const std::string& module, const std::string& name)
{
    Value* v = arena.make(ValueKind::Global);
    v->text = module;
    v->text2 = name;
    return v;
}

// A float tensor as torch pickles one: _rebuild_tensor_v2(pid, 0, (4,), (1,), False, OrderedDict()).
Value* tensor(ValueArena& arena, const std::string& key)
{
    auto intValue = [&](int64_t n) {
        Value* v = arena.make(ValueKind::Int);
        v->integer = n;
        return v;
    };
    Value* pidTuple = arena.make(ValueKind::Tuple);
    pidTuple->items = {str(arena, "storage"), global(arena, "torch", "FloatStorage"), str(arena, key),
                       str(arena, "cpu"), intValue(4)};
    Value* pid = arena.make(ValueKind::PersistentId);
    pid->items = {pidTuple};
    Value* shape = arena.make(ValueKind::Tuple);
    shape->items = {intValue(4)};
    Value* stride = arena.make(ValueKind::Tuple);
    stride->items = {intValue(1)};
    Value* args = arena.make(ValueKind::Tuple);
    args->items = {pid, intValue(0), shape, stride, arena.make(ValueKind::Bool), arena.make(ValueKind::Dict)};
    Value* call = arena.make(ValueKind::Object);
    call->callable = global(arena, "torch._utils", "_rebuild_tensor_v2");
    call->args = args;
    return call;
}

// `levels` + 1 objects, each holding a tensor `w` and naming the next object twice ("a" and "b"). In TorchScript
// form the attributes are the object's state; in nn.Module form they sit in _parameters and _modules.
const Value* sharedChildChain(ValueArena& arena, int levels, bool torchScript)
{
    const Value* child = nullptr;
    for (int level = levels; level >= 0; --level) {
        Value* object = arena.make(ValueKind::Object);
        object->callable =
            global(arena, torchScript ? "__torch__" : "torch.nn.modules.container", torchScript ? "Net" : "Sequential");
        object->args = arena.make(ValueKind::Tuple);
        Value* state = arena.make(ValueKind::Dict);
        if (torchScript) {
            state->entries.emplace_back(str(arena, "w"), tensor(arena, std::to_string(level)));
            if (child) {
                state->entries.emplace_back(str(arena, "a"), child);
                state->entries.emplace_back(str(arena, "b"), child);
            }
        } else {
            Value* parameters = arena.make(ValueKind::Dict);
            parameters->entries.emplace_back(str(arena, "w"), tensor(arena, std::to_string(level)));
            Value* modules = arena.make(ValueKind::Dict);
            if (child) {
                modules->entries.emplace_back(str(arena, "a"), child);
                modules->entries.emplace_back(str(arena, "b"), child);
            }
            state->entries.emplace_back(str(arena, "_parameters"), parameters);
            state->entries.emplace_back(str(arena, "_buffers"), arena.make(ValueKind::Dict));
            state->entries.emplace_back(str(arena, "_modules"), modules);
        }
        object->state = state;
        object->hasState = true;
        child = object;
    }
    return child;
}

bool anyFindingContains(const Checkpoint& doc, const std::string& text)
{
    for (const Finding& finding : doc.findings)
        if (finding.what.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

class TestGraphBounds : public QObject
{
    Q_OBJECT

private slots:
    void visitorStopsAtItsWorkBudget();
    void visitorPollsCancel();
    void pathGuardCutsCycles();
    void torchScriptSharedChildrenAreBounded();
    void moduleSharedChildrenAreBounded();
    void metadataWalkIsBounded();
    void viewsAreCheckedInBytes();
    void exceptionsBecomeErrors();
    void protocol0FloatsIgnoreTheLocale();
    void memoizeStoresAtTheEntryCount();
    void oneValueBudgetForAllPicklesOfAFile();
};

void TestGraphBounds::visitorStopsAtItsWorkBudget()
{
    GraphVisitor visitor(10);
    const size_t budget = GraphVisitor::workBudgetFor(10);
    QCOMPARE(budget, limits::kGraphWorkBase + 10 * limits::kGraphWorkPerValue);
    size_t steps = 0;
    while (visitor.enter(1) && steps < 2 * budget)
        ++steps;
    QCOMPARE(steps, budget);
    QVERIFY(visitor.stopped());
    QCOMPARE(visitor.stop(), WalkStop::OutOfWork);
    QVERIFY(!visitor.enter(0)); // once over, every later step says no
    QVERIFY(QString::fromStdString(visitor.explain()).contains("kGraphWorkPerValue"));

    GraphVisitor deep(10);
    QVERIFY(deep.enter(limits::kMaxGraphDepth));
    QVERIFY(!deep.enter(limits::kMaxGraphDepth + 1)); // one branch is cut...
    QVERIFY(!deep.stopped());                         // ...the walk goes on
    QVERIFY(deep.enter(3));
    QCOMPARE(deep.stop(), WalkStop::TooDeep);
}

void TestGraphBounds::visitorPollsCancel()
{
    std::atomic<bool> cancel{true};
    GraphVisitor visitor(0, &cancel);
    size_t steps = 0;
    while (visitor.enter(0))
        ++steps;
    QVERIFY(visitor.cancelled());
    QVERIFY(steps < 10000);
}

void TestGraphBounds::pathGuardCutsCycles()
{
    ValueArena arena;
    Value* node = arena.make(ValueKind::List);
    GraphVisitor visitor(1);
    {
        GraphVisitor::PathGuard outer(visitor, node);
        QVERIFY(outer.ok());
        GraphVisitor::PathGuard again(visitor, node);
        QVERIFY(!again.ok()); // a cycle back to a node on the path
    }
    GraphVisitor::PathGuard later(visitor, node); // a second path to it (a shared child) is fine
    QVERIFY(later.ok());
    QVERIFY(visitor.firstVisit(node));
    QVERIFY(!visitor.firstVisit(node));
}

void TestGraphBounds::torchScriptSharedChildrenAreBounded()
{
    // collectScriptModule had no guard at all: 2^40 visits. Now the work budget ends it; a partial list of names
    // would be a wrong state dict, so none is given, and the finding names the limit.
    Checkpoint doc;
    doc.root = sharedChildChain(*doc.arena, 40, true);
    QElapsedTimer clock;
    clock.start();
    interpretTorchGraph(
        doc, [](const std::string&) { return RecordLocation{}; }, GraphNaming::TorchScript);
    QVERIFY2(clock.elapsed() < kTimeCapMs, qPrintable(QString("took %1 ms").arg(clock.elapsed())));
    QVERIFY(anyFindingContains(doc, "kGraphWorkPerValue"));
    QVERIFY(doc.weightSets.empty());

    // Shared children of a small module are named under each name, as state_dict() does.
    Checkpoint small;
    small.root = sharedChildChain(*small.arena, 2, true);
    interpretTorchGraph(
        small, [](const std::string&) { return RecordLocation{}; }, GraphNaming::TorchScript);
    QCOMPARE(small.weightSets.size(), size_t(1));
    std::vector<std::string> keys;
    for (const WeightEntry& entry : small.weightSets[0].entries)
        keys.push_back(entry.key);
    QCOMPARE(keys, (std::vector<std::string>{"w", "a.w", "a.a.w", "a.b.w", "b.w", "b.a.w", "b.b.w"}));
}

void TestGraphBounds::moduleSharedChildrenAreBounded()
{
    Checkpoint doc;
    doc.root = sharedChildChain(*doc.arena, 40, false);
    QElapsedTimer clock;
    clock.start();
    interpretTorchGraph(doc, [](const std::string&) { return RecordLocation{}; });
    QVERIFY2(clock.elapsed() < kTimeCapMs, qPrintable(QString("took %1 ms").arg(clock.elapsed())));
    QCOMPARE(doc.kind, Kind::WholeModel);
    // The derived set would have 2^41 - 1 names: it is dropped (a partial state dict would be a wrong one), and
    // the finding says why. The 41 tensors themselves are all listed.
    QVERIFY(anyFindingContains(doc, "kGraphWorkPerValue"));
    for (const WeightSet& set : doc.weightSets)
        QVERIFY(!set.derived);
    QCOMPARE(doc.tensors.size(), size_t(41));
}

void TestGraphBounds::metadataWalkIsBounded()
{
    Checkpoint doc;
    doc.root = sharedChildChain(*doc.arena, 40, false);
    WeightSet set;
    set.derived = true;
    auto plan = RenamePlan::build({}, RenameRule{}, TargetLayout::Keep);
    QVERIFY(plan.ok());
    ValueArena out;
    QElapsedTimer clock;
    clock.start();
    Result<const Value*> built = buildDerivedStateDict(doc, set, plan.value(), out);
    QVERIFY2(clock.elapsed() < kTimeCapMs, qPrintable(QString("took %1 ms").arg(clock.elapsed())));
    QVERIFY(!built.ok());
    QCOMPARE(built.error().status, Status::LimitExceeded);
    QVERIFY(QString::fromStdString(built.error().detail).contains("kGraphWorkPerValue"));

    // A small module graph with a shared child still gets an entry per name, as state_dict() writes them.
    Checkpoint small;
    small.root = sharedChildChain(*small.arena, 2, false);
    Result<const Value*> fine = buildDerivedStateDict(small, set, plan.value(), out);
    QVERIFY(fine.ok());
    const Value* metadata = fine.value()->state->find("_metadata");
    QVERIFY(metadata);
    std::vector<std::string> paths;
    for (const auto& [key, value] : metadata->entries)
        paths.push_back(key->text);
    QCOMPARE(paths, (std::vector<std::string>{"", "a", "a.a", "a.b", "b", "b.a", "b.b"}));
}

void TestGraphBounds::viewsAreCheckedInBytes()
{
    StorageInfo storage;
    storage.dtype = DType::UInt8;
    storage.numel = 16;
    storage.nbytes = 16;
    TensorInfo view;
    view.dtype = DType::Float64;
    view.shape = {16};
    view.stride = {1};
    QVERIFY(!viewFitsStorage(view, storage)); // 128 bytes from a 16-byte storage: 16 "elements" of the first view
    view.shape = {2};
    QVERIFY(viewFitsStorage(view, storage));
    view.offset = 1;
    QVERIFY(!viewFitsStorage(view, storage)); // bytes 8..23
    view.dtype = DType::UInt8;
    view.shape = {15};
    QVERIFY(viewFitsStorage(view, storage));
    view.stride = {-1};
    QVERIFY(!viewFitsStorage(view, storage));
}

void TestGraphBounds::exceptionsBecomeErrors()
{
    Result<int> memory = catchBoundary("loading", []() -> Result<int> { throw std::bad_alloc(); });
    QVERIFY(!memory.ok());
    QCOMPARE(memory.error().status, Status::LimitExceeded);
    QVERIFY(QString::fromStdString(memory.error().detail).contains("memory"));

    // The class of bug: dumping a name that is not UTF-8 with nlohmann's default (strict) handler throws.
    Result<int> json = catchBoundary("exporting", []() -> Result<int> {
        (void)nlohmann::json(std::string("w\xff")).dump();
        return 1;
    });
    QVERIFY(!json.ok());
    QCOMPARE(json.error().status, Status::Corrupt);
    QVERIFY(QString::fromStdString(json.error().detail).contains("UTF-8"));

    Result<int> fine = catchBoundary("nothing", []() -> Result<int> { return 7; });
    QVERIFY(fine.ok());
    QCOMPARE(fine.value(), 7);
}

void TestGraphBounds::protocol0FloatsIgnoreTheLocale()
{
    // Qt applications take LC_NUMERIC from the environment; under de_DE strtod stops at the '.' of "0.5".
    const std::string previous = std::setlocale(LC_ALL, nullptr);
    if (!std::setlocale(LC_ALL, "de_DE.UTF-8") && !std::setlocale(LC_ALL, "de_DE.utf8"))
        QSKIP("the de_DE.UTF-8 locale is not generated (packaging/install-deps.sh does it)");
    QCOMPARE(std::localeconv()->decimal_point[0], ','); // the trap is armed
    auto loaded = loadCheckpoint(test::hostileDir() + "/graph/protocol0_floats.pth");
    std::setlocale(LC_ALL, previous.c_str());
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
    const Checkpoint& doc = *loaded.value();
    // Python's pickle.loads gives {'lr': 0.5, 'eps': 1e-08} (tests/hostile/graph/manifest.json).
    const Value* lr = doc.root->find("lr");
    const Value* eps = doc.root->find("eps");
    QVERIFY(lr && eps);
    QCOMPARE(lr->real, 0.5);
    QCOMPARE(eps->real, 1e-08);
}

void TestGraphBounds::memoizeStoresAtTheEntryCount()
{
    // PUT 5, MEMOIZE, GET 5, GET 1: Python memoizes at len(memo) == 1 (manifest: ['five', 'memoized']).
    auto loaded = loadCheckpoint(test::hostileDir() + "/graph/memoize_uses_entry_count.pkl");
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
    const Value* root = loaded.value()->root;
    QCOMPARE(root->items.size(), size_t(2));
    QCOMPARE(root->items[0]->text, std::string("five"));
    QCOMPARE(root->items[1]->text, std::string("memoized"));
}

void TestGraphBounds::oneValueBudgetForAllPicklesOfAFile()
{
    // Two pickles in one arena (as the five of a legacy stream are): each alone is under kMaxPickleValues, together
    // they are over, and the second one is refused. EMPTY_LIST makes one value per byte.
    const size_t half = limits::kMaxPickleValues / 2 + 1;
    std::string bytes = "\x80\x02]";
    for (size_t i = 0; i + 1 < half; ++i)
        bytes += "]0"; // EMPTY_LIST, POP
    bytes += ".";
    ValueArena arena;
    const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
    auto first = unpickle(data, bytes.size(), arena);
    QVERIFY2(first.ok(), first.ok() ? "" : first.error().detail.c_str());
    auto second = unpickle(data, bytes.size(), arena);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().status, Status::LimitExceeded);
    QVERIFY(QString::fromStdString(second.error().detail).contains("kMaxPickleValues"));
}

QTEST_GUILESS_MAIN(TestGraphBounds)
#include "tst_graphbounds.moc"
