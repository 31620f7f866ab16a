#include "core/graph/graphvisitor.h"

#include "core/limits.h"

namespace ckpt
{

namespace
{

// Polling an atomic on every step costs more than the step; every 4096 steps is still well under a millisecond.
constexpr size_t kCancelPollSteps = 4096;

} // namespace

GraphVisitor::GraphVisitor(size_t values, const std::atomic<bool>* cancel)
    : m_budget(workBudgetFor(values)), m_cancel(cancel)
{
}

size_t GraphVisitor::workBudgetFor(size_t values)
{
    return limits::kGraphWorkBase + limits::kGraphWorkPerValue * values;
}

void GraphVisitor::stopWith(WalkStop why)
{
    // Ending the walk outranks cutting one branch; the first reason to end it is the one reported.
    if (m_stop == WalkStop::None || m_stop == WalkStop::TooDeep) m_stop = why;
}

bool GraphVisitor::spend(size_t steps)
{
    if (stopped()) return false;
    size_t before = m_work;
    m_work += steps;
    if (m_cancel && before / kCancelPollSteps != m_work / kCancelPollSteps &&
        m_cancel->load(std::memory_order_relaxed)) {
        stopWith(WalkStop::Cancelled);
        return false;
    }
    if (m_work > m_budget) {
        stopWith(WalkStop::OutOfWork);
        return false;
    }
    return true;
}

bool GraphVisitor::enter(size_t depth)
{
    if (!spend()) return false;
    if (depth > limits::kMaxGraphDepth) {
        stopWith(WalkStop::TooDeep);
        return false;
    }
    return true;
}

std::string GraphVisitor::explain() const
{
    switch (m_stop) {
    case WalkStop::None:
        return {};
    case WalkStop::TooDeep:
        return "the value graph nests deeper than the limit kMaxGraphDepth (" + std::to_string(limits::kMaxGraphDepth) +
               ")";
    case WalkStop::OutOfWork:
        return "walking the value graph took more than " + std::to_string(m_budget) +
               " steps (limits kGraphWorkBase + kGraphWorkPerValue per value): it reaches the same values "
               "too many ways";
    case WalkStop::Cancelled:
        return "cancelled";
    }
    return {};
}

GraphVisitor::PathGuard::PathGuard(GraphVisitor& visitor, const Value* node)
    : m_visitor(visitor), m_node(node), m_entered(visitor.m_onPath.insert(node).second)
{
}

GraphVisitor::PathGuard::~PathGuard()
{
    if (m_entered) m_visitor.m_onPath.erase(m_node);
}

} // namespace ckpt
