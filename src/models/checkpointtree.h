#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/format/loader.h"
#include "models/matchoverlay.h"

namespace ckpt::models
{

enum class NodeKind : uint8_t { Root, Container, Module, Tensor, Value, Ghost };

struct TreeNode {
    std::string name;
    int parent = -1;
    int row = 0; // position among the parent's children
    std::vector<int> children;
    NodeKind kind = NodeKind::Root;
    bool dotted = false;   // produced by splitting a key on '.', so it joins its parent with '.' not '/'
    int ref = -1;          // tensor, value or ghost index
    uint64_t elements = 0; // tensors: numel; groups: sum over the tensors below
    uint64_t bytes = 0;
    int tensorCount = 0;
    MatchState match = MatchState::None; // tensors: their own; groups: the worst below
    std::string typeText;                // containers: "dict", "OrderedDict", "Namespace", ...
    bool payload = false;                // a value that is or calls a dangerous global; groups: one below is
    int locationTensor = -1;             // a tensor whose location stands for every tensor below (-1: none)
    bool mixedLocations = false;         // the tensors below sit in more than one location
};

// What the tree shows of a whole-model pickle: its state dict (keys as model.state_dict() names them) or the
// pickled Python objects (`_modules`, `_parameters`, ...). Other documents have one view, the objects.
enum class TreeView : uint8_t { PythonObjects, Weights };

// Whether `doc` has a weights view: a whole-model pickle whose weight set was derived from its modules. A
// dangerous file has none, so its payload rows (which are Python objects) are never out of sight.
bool offersWeightsView(const Checkpoint& doc);

// The document as a tree of containers, module groups (keys split on '.'), tensors, plain values and ghost rows
// for missing architecture keys. Built once, off the UI thread, and never changed: a new match builds a new tree.
class CheckpointTree
{
public:
    // `view` is honoured when the document offers it (offersWeightsView); otherwise the objects are shown.
    static std::shared_ptr<const CheckpointTree>
    build(CheckpointPtr doc, std::shared_ptr<const MatchOverlay> overlay = {}, TreeView view = TreeView::PythonObjects);

    const TreeNode& node(int id) const { return m_nodes[size_t(id)]; }
    int size() const { return int(m_nodes.size()); }
    const Checkpoint& document() const { return *m_doc; }
    CheckpointPtr documentPtr() const { return m_doc; }
    const MatchOverlay* overlay() const { return m_overlay.get(); }
    const RowMatch* rowMatch(int id) const; // for tensor rows with a match entry
    // The plain value a Value row shows (also the root, or part of its state, for rows no PlainValue stands for).
    const Value* value(int id) const;
    int payloadRows() const { return m_payloadRows; } // Value rows marked as payload
    TreeView view() const { return m_view; }

    std::string key(int id) const;       // dotted key inside the nearest container ("layer1.0.conv1.weight")
    std::string fullPath(int id) const;  // containers joined with '/', keys with '.'
    int nodeForTensor(int tensor) const; // first node showing that tensor, -1 if none

private:
    CheckpointPtr m_doc;
    std::shared_ptr<const MatchOverlay> m_overlay;
    std::vector<TreeNode> m_nodes;
    std::vector<int> m_tensorNode;
    int m_payloadRows = 0;
    TreeView m_view = TreeView::PythonObjects;
    std::vector<const Value*> m_extraValues; // Value rows with no PlainValue (ref = -1 - index)
};

} // namespace ckpt::models
