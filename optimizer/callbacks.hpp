#pragma once
// Optimizer callbacks: called once per iteration after the gradient (and grad modifier), then on_end().
#include <xvis/tensor/tensor.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace xvis {

using NamedLosses = std::vector<std::pair<std::string, double>>;

class Callback {
public:
    virtual ~Callback() = default;
    virtual void callback(int iteration, const NamedLosses& named_losses, double overall_loss, const Tensor& grads,
                          const Tensor& wrt_value) = 0;
    virtual void on_end() {}
};

// keras-vis Print: "Iteration: 1, named_losses: [('ActivationMax Loss', -1.5), ...], overall loss: -1.2".
class Print : public Callback {
public:
    Print();                              // to std::cout
    explicit Print(std::ostream& out);
    void callback(int iteration, const NamedLosses& named_losses, double overall_loss, const Tensor&, const Tensor&) override;

private:
    std::ostream* out_;
};

// Reports (iteration + 1, total, overall loss) to a function, e.g. to draw a progress bar; on_end reports done.
class Progress : public Callback {
public:
    using Report = std::function<void(int done, int total, double overall_loss, bool finished)>;
    Progress(int total, Report report) : total_(total), report_(std::move(report)) {}
    void callback(int iteration, const NamedLosses&, double overall_loss, const Tensor&, const Tensor&) override {
        last_ = overall_loss;
        done_ = iteration + 1;
        report_(done_, total_, overall_loss, false);
    }
    void on_end() override { report_(done_, total_, last_, true); }

private:
    int total_, done_ = 0;
    double last_ = 0;
    Report report_;
};

}  // namespace xvis
