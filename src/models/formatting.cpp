#include "models/formatting.h"

#include <QLocale>
#include <QStringList>

namespace ckpt::models
{

QString humanBytes(uint64_t bytes)
{
    static const char* const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    if (bytes < 1000) return QStringLiteral("%1 B").arg(bytes);
    double value = double(bytes);
    int unit = 0;
    while (value >= 1000.0 && unit < 5) {
        value /= 1000.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

QString shapeText(const std::vector<int64_t>& shape)
{
    QStringList parts;
    parts.reserve(int(shape.size()));
    for (int64_t d : shape)
        parts << QString::number(d);
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

QString countText(uint64_t count)
{
    return QLocale().toString(qulonglong(count));
}

} // namespace ckpt::models
