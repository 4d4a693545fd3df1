#include <xvis/optimizer/callbacks.hpp>

#include <iostream>

namespace xvis {

Print::Print() : out_(&std::cout) {}
Print::Print(std::ostream& out) : out_(&out) {}

void Print::callback(int iteration, const NamedLosses& named_losses, double overall_loss, const Tensor&, const Tensor&) {
    auto& o = *out_;
    o << "Iteration: " << iteration + 1 << ", named_losses: [";
    for (std::size_t i = 0; i < named_losses.size(); ++i)
        o << (i ? ", " : "") << "('" << named_losses[i].first << "', " << named_losses[i].second << ")";
    o << "], overall loss: " << overall_loss << "\n";
}

}  // namespace xvis
