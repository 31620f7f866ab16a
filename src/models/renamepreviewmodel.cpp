#include "models/renamepreviewmodel.h"

#include <unordered_map>

#include <QGuiApplication>
#include <QPalette>

#include "models/modelroles.h"
#include "models/statuscolors.h"

namespace ckpt::models
{

RenamePreviewModel::RenamePreviewModel(QObject* parent) : QAbstractTableModel(parent) {}

void RenamePreviewModel::setPairs(std::vector<std::pair<std::string, std::string>> pairs)
{
    beginResetModel();
    m_pairs = std::move(pairs);
    m_collision.assign(m_pairs.size(), 0);
    m_collisions = 0;
    m_changed = 0;
    std::unordered_map<std::string, size_t> seen;
    for (size_t i = 0; i < m_pairs.size(); ++i) {
        if (m_pairs[i].first != m_pairs[i].second) ++m_changed;
        auto [it, inserted] = seen.emplace(m_pairs[i].second, i);
        if (!inserted) {
            if (!m_collision[it->second]) ++m_collisions;
            m_collision[it->second] = 1;
            m_collision[i] = 1;
            ++m_collisions;
        }
    }
    endResetModel();
}

int RenamePreviewModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_pairs.size());
}

int RenamePreviewModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RenamePreviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case OldColumn:
        return tr("Key in the file");
    case NewColumn:
        return tr("Key after export");
    case NoteColumn:
        return tr("Note");
    }
    return {};
}

QVariant RenamePreviewModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || size_t(index.row()) >= m_pairs.size()) return {};
    const auto& p = m_pairs[size_t(index.row())];
    const bool collision = m_collision[size_t(index.row())];
    const bool changed = p.first != p.second;
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == OldColumn) return QString::fromStdString(p.first);
        if (index.column() == NewColumn) return QString::fromStdString(p.second);
        if (collision) return tr("collision: another key gets this name");
        return changed ? tr("renamed") : tr("unchanged");
    case Qt::ForegroundRole: {
        const QPalette pal = QGuiApplication::palette();
        if (collision) return StatusColors::dangerColor(pal);
        if (changed && index.column() != OldColumn) return StatusColors::foreground(MatchState::Renamed, pal);
        return {};
    }
    case Qt::DecorationRole:
        if (index.column() == NoteColumn)
            return StatusColors::icon(collision ? MatchState::ShapeMismatch
                                                : (changed ? MatchState::Renamed : MatchState::Ok));
        return {};
    case KeyRole:
        return QString::fromStdString(p.first);
    }
    return {};
}

} // namespace ckpt::models
