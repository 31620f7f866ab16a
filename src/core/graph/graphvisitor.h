#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/pickle/value.h"

namespace ckpt
{

// Why a walk over a value graph ended before it had seen everything.
enum class WalkStop : uint8_t {
    None,
    TooDeep,   // a branch reached kMaxGraphDepth: that branch was cut, the walk went on
    OutOfWork, // the work budget was spent: the walk ended
    Cancelled, // the user cancelled: the walk ended
};

// The bounds every walk over a value graph runs under, so that no input costs more than time and memory linear in
// the number of values it made (itself bounded by the file size and kMaxPickleValues):
// - a depth budget (kMaxGraphDepth), so recursion cannot exhaust the stack;
// - a work budget (kGraphWorkBase + kGraphWorkPerValue per value), so a graph that reaches one child many ways
//   (2^40 paths from 80 nodes) or loops cannot make the walk exponential or endless;
// - a visited set for walks that expand each node once, and an on-path set for walks that must name every path
//   (state_dict() names a shared child under each of its names) but must not follow a cycle;
// - the cancel flag, polled every few thousand steps.
// Once the work budget or cancel ends a walk, every later enter() says no, so an unwinding recursion stops at once.
class GraphVisitor
{
public:
    // `values`: how many values the document holds (ValueArena::size()); the work budget grows with it.
    explicit GraphVisitor(size_t values, const std::atomic<bool>* cancel = nullptr);

    static size_t workBudgetFor(size_t values);

    // One step at `depth`. False when this branch must stop (too deep) or the whole walk must (out of work,
    // cancelled); stopped() tells the two apart.
    bool enter(size_t depth);
    // Charges `steps` units of work without a depth (loops over a node's items); false once the walk is over.
    bool spend(size_t steps = 1);
    // True the first time `node` is offered: walks that expand each node once (shared containers, tensors).
    bool firstVisit(const Value* node) { return m_visited.insert(node).second; }
    bool visited(const Value* node) const { return m_visited.count(node) != 0; }

    // Marks `node` as on the current path for the guard's lifetime; ok() is false when it already was (a cycle).
    class PathGuard
    {
    public:
        PathGuard(GraphVisitor& visitor, const Value* node);
        ~PathGuard();
        PathGuard(const PathGuard&) = delete;
        PathGuard& operator=(const PathGuard&) = delete;
        bool ok() const { return m_entered; }

    private:
        GraphVisitor& m_visitor;
        const Value* m_node;
        bool m_entered;
    };

    // Whether `node` is on the current path (a PathGuard for it is alive).
    bool onPath(const Value* node) const { return m_onPath.count(node) != 0; }

    bool stopped() const { return m_stop == WalkStop::OutOfWork || m_stop == WalkStop::Cancelled; }
    bool cancelled() const { return m_stop == WalkStop::Cancelled; }
    // The most serious way the walk was cut short (None when it saw everything it was asked to).
    WalkStop stop() const { return m_stop; }
    // A sentence naming the limit that cut the walk short ("" when none did), for a finding or an error.
    std::string explain() const;
    size_t workDone() const { return m_work; }

private:
    void stopWith(WalkStop why);

    size_t m_budget;
    size_t m_work = 0;
    const std::atomic<bool>* m_cancel;
    WalkStop m_stop = WalkStop::None;
    std::unordered_set<const Value*> m_visited;
    std::unordered_set<const Value*> m_onPath;
};

} // namespace ckpt
