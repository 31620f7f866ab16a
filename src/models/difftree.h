#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/analysis/checkpointdiff.h"

namespace ckpt::models
{

struct DiffNode {
    std::string name;
    int parent = -1;
    int row = 0;
    std::vector<int> children;
    bool dotted = false;
    int entry = -1;      // index into CheckpointDiff::entries
    int valueEntry = -1; // index into CheckpointDiff::plainValues
    int differing = 0;   // leaves below (or this leaf) that are not equal
    int leaves = 0;
};

// Both sides of a diff as one tree over the aligned (normalised) names, so the left and right views show the
// same rows in the same order and stay aligned row by row. Built once per diff result, off the UI thread.
class DiffTree
{
public:
    static std::shared_ptr<const DiffTree> build(std::shared_ptr<const CheckpointDiff> diff, bool differencesOnly);

    const DiffNode& node(int id) const { return m_nodes[size_t(id)]; }
    int size() const { return int(m_nodes.size()); }
    const CheckpointDiff& diff() const { return *m_diff; }
    bool differencesOnly() const { return m_differencesOnly; }

private:
    std::shared_ptr<const CheckpointDiff> m_diff;
    std::vector<DiffNode> m_nodes;
    bool m_differencesOnly = false;
};

} // namespace ckpt::models
