#pragma once
// A structure-aware input generator for the fuzzers: it turns libFuzzer's bytes into the *choices* of a program
// that writes a torch checkpoint, so that most inputs get past the zip and pickle syntax and reach what lies
// behind them (tensor rebuilding, the object-graph walkers, the exporter, the JSON emitters).
//
// The pickles follow the protocol-2 opcodes that torch.save writes (CPython Lib/pickle.py and
// torch/serialization.py's _save: a persistent id ('storage', <Dtype>Storage, key, location, numel) per storage,
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()) per tensor), plus
// what real files and attackers add: memo references to shared children, containers that contain themselves,
// storages viewed with other dtypes than they were declared with, sparse and parameter rebuilds, modules whose
// _modules name one child many times, and loader globals (torch.storage._load_from_bytes) whose bytes are
// themselves a pickle or a torch zip made by this generator.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ckpt::fuzz
{

// Reads bounded choices from the fuzzer's bytes; once they run out every choice is 0 (the shortest program).
class Choices
{
public:
    Choices(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
    // A number in [0, n) (n > 0).
    uint32_t below(uint32_t n);
    // A number in [0, 2^bits) read from whole bytes.
    uint64_t bits(int bits);
    bool flip() { return below(2) == 1; }
    bool empty() const { return m_at >= m_size; }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_at = 0;
};

// What the generator writes.
enum class GeneratedKind { TorchZip, RawPickle };

struct GeneratedFile {
    GeneratedKind kind = GeneratedKind::TorchZip;
    std::vector<uint8_t> bytes;
};

// Builds one file from the choices. `nesting` bounds loader payloads inside payloads.
GeneratedFile generateCheckpoint(Choices& choices, int nesting = 0);

} // namespace ckpt::fuzz
