#pragma once

// Shared by the tensor tests: where make_stats_fixtures.py wrote its files, and small JSON helpers.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <cmath>
#include <string>

#include "core/format/loader.h"
#include "tensor/tensorloader.h"

namespace tensortest
{

inline QString fixture(const char* name)
{
    return QStringLiteral(CKPT_TENSOR_FIXTURE_DIR "/") + name;
}

inline QJsonObject readTruth(const char* name)
{
    QFile f(fixture(name));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// JSON null stands for NaN (no finite value): both must agree.
inline bool sameOrBothNaN(double actual, const QJsonValue& expected, double tolerance)
{
    if (expected.isNull()) return std::isnan(actual);
    return std::fabs(actual - expected.toDouble()) <= tolerance;
}

inline ckpt::CheckpointPtr load(const char* name)
{
    auto loaded = ckpt::loadCheckpoint(fixture(name).toStdString());
    return loaded ? loaded.value() : nullptr;
}

// The index of the tensor a state-dict key names, or -1.
inline int tensorIndex(const ckpt::Checkpoint& c, const std::string& key)
{
    for (size_t i = 0; i < c.tensors.size(); ++i)
        if (ckpt::tensor::tensorKey(c, static_cast<int>(i)) == key) return static_cast<int>(i);
    return -1;
}

} // namespace tensortest
