#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ckpt
{

// One piece of a tensor-parallel value: where it lies in the global tensor and which device holds it.
struct ShardPiece {
    std::vector<int64_t> offsets; // into the global tensor, one per dimension
    std::vector<int64_t> sizes;
    std::string placement; // "rank:1/cpu", as torch prints a _remote_device
    int tensor = -1;       // the local tensor in Checkpoint::tensors (a component); -1 for other ranks' pieces
};

// A ShardedTensor (torch.distributed._shard) or DTensor (torch.distributed._tensor, 2.x) found inside an ordinary
// file. The file holds one rank's local pieces; the whole tensor exists only across every rank's file. Its
// TensorInfo carries the global shape and dtype and has no storage of its own.
struct ShardedValue {
    std::string type;                    // "ShardedTensor" or "DTensor"
    int64_t rank = -1;                   // the saving rank (global), -1 when the file does not say
    int64_t worldSize = -1;              // ranks in its process group or device mesh, -1 when unknown
    std::vector<ShardPiece> local;       // the pieces this file holds (ShardedTensor: its local shards)
    std::vector<ShardPiece> global;      // every rank's piece as the metadata lists it (ShardedTensor)
    std::string shardingSpec;            // "ChunkShardingSpec(dim=0)", when the file names one
    std::vector<std::string> placements; // DTensor: per mesh dimension, "Shard(dim=0)", "Replicate()", "Partial(sum)"
    std::vector<int64_t> meshShape;      // DTensor: the device mesh's shape
    std::vector<int64_t> meshCoordinate; // DTensor: this rank's coordinate on the mesh
    std::string meshDeviceType;          // DTensor: "cuda", "cpu"
    bool fsdpFlatParam = false; // an FSDP flat parameter: several parameters flattened, padded and sharded together
    std::string problem;        // what could not be read from the pickled metadata; empty when all of it was
};

// One line for people: "ShardedTensor, rank 1 of 2, ChunkShardingSpec(dim=0), local shard at [3, 0] of size [2, 3]"
// or "DTensor, rank 1 of 2, mesh [2] on cuda, placements Shard(dim=0)".
std::string describeShardedValue(const ShardedValue& value);

} // namespace ckpt
