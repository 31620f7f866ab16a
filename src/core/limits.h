#pragma once

#include <cstddef>
#include <cstdint>

// Every safety limit of the parsers, in one place. Each check names its limit in the error, so a user
// who hits one knows which number stopped the file and why.
namespace ckpt::limits
{

constexpr size_t kMaxPickleStackDepth = 100000;        // values on the unpickler stack
constexpr size_t kMaxPickleMarkDepth = 10000;          // nested MARKs
constexpr size_t kMaxPickleMemoSize = 10000000;        // memo entries
constexpr size_t kMaxPickleContainerLength = 50000000; // items in one list/dict/tuple
constexpr size_t kMaxPickleValues = 3000000;           // values one pickle makes (176 B each; ~9 per state-dict tensor)
constexpr size_t kMaxPickleStringBytes = 1ull << 31;   // one string/bytes literal
constexpr size_t kMaxLongBytes = 4096;                 // LONG1/LONG4 payload
constexpr uint32_t kDenseRecordKeys = 1u << 20;        // storage keys "0".."1048575" index a vector
constexpr size_t kMaxGraphDepth = 1000;                // nesting when walking a value graph
// Steps one walk over a value graph may take: a base plus this many per value of the document, so a graph that
// names the same child many ways (2^40 paths from 80 nodes) costs time linear in the file, not in its paths.
constexpr size_t kGraphWorkBase = 1u << 20;
constexpr size_t kGraphWorkPerValue = 16;
constexpr size_t kMaxTensorRebuildNesting = 8;             // rebuild calls inside rebuild calls (torch nests two deep)
constexpr size_t kMemoDenseSlack = 1u << 16;               // memo vector may exceed twice its entry count by this much
constexpr size_t kMaxTensorRank = 64;                      // dimensions of one tensor
constexpr size_t kMaxZipEntries = 10000000;                // central-directory entries
constexpr uint64_t kMaxInflatedRecordBytes = 4ull << 30;   // a deflated record (pickle) after inflation
constexpr uint64_t kMaxInflateRatio = 1024;                // inflated/deflated, against deflate bombs
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100000000; // as the safetensors reference implementation
constexpr size_t kMaxShards = 100000;                      // files in one sharded index
constexpr uint64_t kMaxIndexJsonBytes = 256ull << 20;      // a *.index.json file
constexpr uint64_t kMaxArchitectureJsonBytes = 256ull << 20; // an architecture spec (--against x.json)
constexpr size_t kMaxCatalogJsonBytes = 64u << 20;           // the bundled architecture catalog
constexpr size_t kMaxSpecJsonDepth = 64;                     // nesting in an index.json / architecture spec
constexpr size_t kMaxNamedPayloadGlobals = 16;               // dangerous globals named per dropped value
constexpr size_t kMaxTarMembers = 10000;                     // headers read in a pre-1.0 tar checkpoint
constexpr uint64_t kMaxModelJsonBytes = 256ull << 20;        // TorchScript v1 model.json
constexpr uint64_t kMaxCheckedRecordBytes = 1ull << 20;      // larger non-tensor zip records are not CRC-checked
constexpr size_t kMaxLoaderPayloadDepth = 4;                 // loader payloads inside loader payloads
constexpr uint64_t kMaxLoaderPayloadBytes = 1ull << 30;      // all loader payloads of one file, inflated
constexpr size_t kMaxChunksPerTensor = 4096;          // DCP chunks / ZeRO pieces of one tensor (coverage is pairwise)
constexpr size_t kMaxRankFiles = 100000;              // files in one DCP or DeepSpeed directory
constexpr uint64_t kMaxDcpMetadataBytes = 1ull << 30; // a .metadata pickle

} // namespace ckpt::limits
