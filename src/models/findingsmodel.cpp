#include "models/findingsmodel.h"

#include <algorithm>

#include <QGuiApplication>
#include <QPalette>

#include "models/modelroles.h"
#include "models/statuscolors.h"

namespace ckpt::models
{

FindingsModel::FindingsModel(QObject* parent) : QAbstractTableModel(parent) {}

void FindingsModel::setDocument(CheckpointPtr doc)
{
    beginResetModel();
    m_rows.clear();
    if (doc) {
        for (const Finding& f : doc->findings)
            m_rows.push_back({f.severity, QString::fromStdString(f.what), QString()});
        for (const GlobalRef& g : doc->globals) {
            QString detail = QString::fromStdString(g.reason);
            detail += (detail.isEmpty() ? QString() : QStringLiteral("; ")) +
                      tr("%n occurrence(s), first at byte %1", nullptr, g.count).arg(g.offset);
            m_rows.push_back({g.severity, QString::fromStdString(g.module + "." + g.name), detail});
        }
        // Worst first, so a dangerous import is the first thing the panel shows.
        std::stable_sort(m_rows.begin(), m_rows.end(),
                         [](const Row& a, const Row& b) { return int(a.severity) > int(b.severity); });
    }
    endResetModel();
}

int FindingsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FindingsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case SeverityColumn:
        return tr("Severity");
    case WhatColumn:
        return tr("Import / finding");
    case DetailColumn:
        return tr("Why");
    }
    return {};
}

QVariant FindingsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size())) return {};
    const Row& r = m_rows[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        if (index.column() == SeverityColumn) return QString::fromLatin1(severityName(r.severity));
        if (index.column() == WhatColumn) return r.what;
        return r.detail;
    case Qt::ForegroundRole:
        if (r.severity == Severity::Dangerous) return StatusColors::dangerColor(QGuiApplication::palette());
        return {};
    case SeverityRole:
        return int(r.severity);
    }
    return {};
}

} // namespace ckpt::models
