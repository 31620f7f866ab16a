#pragma once

#include <cstdint>
#include <string>
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
// The core's UTF-8 text (keys, class names, messages) as a QString.
inline QString q(const std::string& text)
{
    return QString::fromStdString(text);
}

} // namespace ckpt::models
