#pragma once

#include <string>
#include <utility>
#include <vector>

#include <QAbstractTableModel>

namespace ckpt::models
{

// Every key's old and new name before an export runs. Two old keys landing on one new key are marked as a
// collision (the exporter refuses those), unchanged keys are shown plainly.
class RenamePreviewModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { OldColumn, NewColumn, NoteColumn, ColumnCount };

    explicit RenamePreviewModel(QObject* parent = nullptr);
    void setPairs(std::vector<std::pair<std::string, std::string>> pairs);

    int collisionCount() const { return m_collisions; }
    int changedCount() const { return m_changed; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<std::pair<std::string, std::string>> m_pairs;
    std::vector<char> m_collision;
    int m_collisions = 0;
    int m_changed = 0;
};

} // namespace ckpt::models
