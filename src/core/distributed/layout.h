#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model/dtype.h"

// What a distributed checkpoint directory (torch.distributed.checkpoint, DeepSpeed ZeRO) looks like once
// read: every global tensor as a virtual tensor made of chunks that live in the rank files. Nothing here
// holds tensor bytes; consolidation copies chunk rows from the mapped rank files to their destinations.
namespace ckpt::distributed
{

// One box of a global tensor and where its elements are on disk.
struct Chunk {
    std::vector<int64_t> offsets;       // first element of the box in the global tensor (the flat index when flat)
    std::vector<int64_t> sizes;         // extent of the box per dimension
    int file = -1;                      // index into Checkpoint::files of the file holding the elements (-1: none)
    std::string fileName;               // that file, relative to the checkpoint directory
    uint64_t byteBegin = 0;             // the item's byte range in that file (DCP: the torch.save archive;
    uint64_t byteEnd = 0;               // ZeRO: the partition's elements)
    uint64_t dataOffset = 0;            // byte offset in the file of the box's first element
    std::vector<int64_t> stride;        // element strides of the stored box (row-major for ZeRO partitions)
    DType sourceDtype = DType::Unknown; // the stored dtype (may differ from the tensor's: ZeRO buffers)
    std::string problem;                // why the elements cannot be read; empty when they can
};

// How the chunks of one tensor cover it: every element exactly once, or what is wrong.
struct Coverage {
    bool complete = false; // every element covered exactly once by readable chunks
    uint64_t covered = 0;  // elements inside chunk boxes (counted with multiplicity)
    uint64_t total = 0;    // elements of the tensor
    std::string problem;   // overlap, hole, out of bounds, unreadable chunk; empty when complete
};

struct VirtualTensor {
    int tensor = -1; // index into Checkpoint::tensors
    std::string key; // the state-dict key (fqn)
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape; // the global shape
    bool flat = false;          // chunk boxes address the row-major flattened tensor (ZeRO partitions)
    std::string tiedTo;         // ZeRO shared_params: this key is the same tensor as that one
    std::string role;           // "sharded", "replicated", "master", "frozen", "buffer", "tied"
    std::vector<Chunk> chunks;
    Coverage coverage;
};

// One problem with the directory as a whole (a missing or truncated rank file, an unsupported variant):
// the file it concerns, relative to the directory, and what is wrong.
struct DirectoryProblem {
    std::string file;
    std::string what;
};

struct Layout {
    std::string kind;      // "dcp" or "deepspeed"
    std::string directory; // as given by the user
    std::vector<VirtualTensor> tensors;
    std::map<std::string, std::string> facts; // "stage", "dp_world_size", "torch_layout", "tag", ...
    std::vector<DirectoryProblem> problems;

    std::vector<int> byTensor; // Checkpoint::tensors index -> index into `tensors` (-1: none)

    // The virtual tensor behind Checkpoint::tensors[index], or nullptr.
    const VirtualTensor* forTensor(ptrdiff_t index) const
    {
        if (index < 0 || static_cast<size_t>(index) >= byTensor.size() || byTensor[static_cast<size_t>(index)] < 0)
            return nullptr;
        return &tensors[static_cast<size_t>(byTensor[static_cast<size_t>(index)])];
    }
};

} // namespace ckpt::distributed
