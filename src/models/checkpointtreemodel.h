#pragma once

#include <memory>
#include <vector>

#include <QAbstractItemModel>

#include "models/checkpointtree.h"

namespace ckpt::models
{

// What the whole-file health scan found in one tensor (by index into Checkpoint::tensors).
struct TensorHealth {
    bool scanned = false; // every element was read
    uint64_t nan = 0;
    uint64_t posinf = 0;
    uint64_t neginf = 0;
    QString skipped; // why it was not scanned (a packed dtype, a tensor split over rank files, ...)
    uint64_t nonFinite() const { return nan + posinf + neginf; }
};
struct HealthTable {
    const Checkpoint* document = nullptr; // the scanned document; a tree over another one ignores the table
    std::vector<TensorHealth> tensors;
};

// A thin item model over an immutable CheckpointTree. Swapping in a new tree (a new file, a new match) resets
// the model; nothing is copied per row, so 100,000 rows cost only what the view asks for.
class CheckpointTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        TypeColumn,
        ShapeColumn,
        ElementsColumn,
        SizeColumn,
        LocationColumn,
        HealthColumn, // NaN/Inf per tensor, filled when the background scan of the whole file is done
        StatusColumn,
        ColumnCount
    };

    explicit CheckpointTreeModel(QObject* parent = nullptr);

    void setTree(std::shared_ptr<const CheckpointTree> tree);
    std::shared_ptr<const CheckpointTree> tree() const { return m_tree; }
    QModelIndex indexForNode(int nodeId, int column = 0) const;
    int nodeId(const QModelIndex& index) const; // 0 (the root) for invalid indexes
    // The health scan's answer (null clears it); kept across new trees of the same document.
    void setHealth(std::shared_ptr<const HealthTable> health);
    std::shared_ptr<const HealthTable> health() const { return m_health; }

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    QVariant display(const TreeNode& n, int id, int column) const;
    QString toolTip(const TreeNode& n, int id) const;
    QVariant sortValue(const TreeNode& n, int column) const;
    QString healthText(const TreeNode& n, int id) const;
    void aggregateHealth();

    // Per node: NaN/Inf below it and tensors below it the scan did not read (groups sum their tensors).
    struct NodeHealth {
        uint64_t nonFinite = 0;
        int unscanned = 0;
    };
    std::shared_ptr<const CheckpointTree> m_tree;
    std::shared_ptr<const HealthTable> m_health;
    std::vector<NodeHealth> m_nodeHealth; // empty when there is no health table for this tree
};

} // namespace ckpt::models
