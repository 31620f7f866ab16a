#pragma once

#include <cstdint>
#include <vector>

#include <QString>

namespace ckpt::models
{

// "1.2 MB", "47.0 MB" (decimal units, as file managers and the CLI show them).
QString humanBytes(uint64_t bytes);
// "[64, 3, 7, 7]"; "[]" for a 0-dim tensor.
QString shapeText(const std::vector<int64_t>& shape);
// "11,689,512" with the locale's grouping.
QString countText(uint64_t count);

} // namespace ckpt::models
