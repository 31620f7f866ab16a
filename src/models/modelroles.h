#pragma once

#include <Qt>

namespace ckpt::models
{

// Roles every model in this folder answers besides the display roles; views and tests use them instead
// of parsing display text.
enum Role {
    KeyRole = Qt::UserRole + 1, // the key inside its state dict ("layer1.0.conv1.weight") or group prefix
    FullPathRole,               // path from the root, '/' between containers ("model/layer1.0.conv1.weight")
    TensorIndexRole,            // index into Checkpoint::tensors, -1 for other rows
    NodeKindRole,               // int(NodeKind)
    SortRole,                   // numbers for numeric columns, text otherwise
    MatchStateRole,             // int(MatchState)
    NodeIdRole,                 // the row's node id in its tree
    SeverityRole,               // int(ckpt::Severity) for findings
    PayloadRole,                // bool: the row is (or holds) a value that calls a dangerous global
};

} // namespace ckpt::models
