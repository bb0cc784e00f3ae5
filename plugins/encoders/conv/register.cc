// Registers the `conv` encoder.
#include "imitate/sdk/registrar.h"
#include "plugins/encoders/conv/conv_encoder.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("conv",
                "CNN encoder and transposed-CNN decoder for uint8 images (the paper's, 64x64)",
                imitate::plugins::ConvEncoder::Specs(), &imitate::plugins::ConvEncoder::Create);
}
