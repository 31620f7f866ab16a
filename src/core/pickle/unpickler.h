#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/pickle/value.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt
{

// A GLOBAL/STACK_GLOBAL/INST the pickle asked for: recorded, never imported.
struct GlobalSeen {
    std::string module;
    std::string name;
    uint64_t offset = 0;
};

struct UnpickleResult {
    Value* root = nullptr;
    int protocol = 0; // highest PROTO seen (0 when none)
    uint64_t end = 0; // bytes consumed, through STOP
    std::vector<GlobalSeen> globals;
    std::vector<const Value*> persistentIds; // every PERSID/BINPERSID value, in order
    // An object BUILT more than once keeps its last state; each earlier one is listed here (object, state), since
    // a later BUILD may run through what an earlier one set (a `__setstate__` attribute).
    std::vector<std::pair<const Value*, const Value*>> replacedStates;
};

// Runs the pickle virtual machine over `data` without importing or calling anything: every opcode of
// protocols 0-5 builds inert Values in `arena`. `baseOffset` is where `data` sits in the file (for errors
// and Value::offset). Progress is reported in bytes of `data`; the cancel flag is polled.
Result<UnpickleResult> unpickle(const uint8_t* data, uint64_t size, ValueArena& arena, uint64_t baseOffset = 0,
                                const Progress& progress = {});

// Python-2 module names as torch.load maps them (__builtin__ -> builtins, copy_reg -> copyreg, ...).
std::string mapPython2Module(const std::string& module);

} // namespace ckpt
