#include "models/tensorvaluesmodel.h"

#include <cmath>

#include <QGuiApplication>
#include <QPalette>

#include "models/statuscolors.h"

namespace ckpt::models
{

TensorValuesModel::TensorValuesModel(QObject* parent) : QAbstractTableModel(parent) {}

void TensorValuesModel::setPreview(ValuePreview preview)
{
    beginResetModel();
    m_preview = std::move(preview);
    endResetModel();
}

int TensorValuesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_preview.rows;
}

int TensorValuesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_preview.columns;
}

QString TensorValuesModel::valueText(double v, bool integer)
{
    if (std::isnan(v)) return QStringLiteral("nan");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    if (integer) return QString::number(v, 'f', 0);
    return QString::number(v, 'g', 6);
}

QVariant TensorValuesModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_preview.rows || index.column() >= m_preview.columns) return {};
    const double v = m_preview.values[size_t(index.row()) * size_t(m_preview.columns) + size_t(index.column())];
    const bool bad = !std::isfinite(v);
    switch (role) {
    case Qt::DisplayRole:
        return valueText(v, m_preview.integer);
    case Qt::EditRole:
        return v;
    case Qt::TextAlignmentRole:
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        if (bad) return StatusColors::dangerColor(QGuiApplication::palette());
        return {};
    case Qt::ToolTipRole:
        if (std::isnan(v)) return tr("NaN: not a number");
        if (std::isinf(v)) return tr("infinite");
        return {};
    default:
        return {};
    }
}

QVariant TensorValuesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole) return {};
    return QString::number((orientation == Qt::Vertical ? m_preview.firstRow : m_preview.firstColumn) + section);
}

} // namespace ckpt::models
