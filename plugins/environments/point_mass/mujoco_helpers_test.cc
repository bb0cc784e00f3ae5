// Tests of the SDK's MuJoCo helpers (imitate::sdk_mujoco) that point_mass is built on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imitate/sdk/errors.h"
#include "imitate/sdk/mujoco/model.h"
#include "imitate/sdk/mujoco/renderer.h"
#include "plugins/environments/point_mass/point_mass_model.h"

namespace imitate::mujoco {
namespace {

TEST(MujocoHelpers, BadXmlIsAConfigErrorWithMujocosMessage) {
  try {
    LoadModelFromString("<mujoco><worldbody><geom type='nope'/></worldbody></mujoco>", "bad.xml");
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("bad.xml"), std::string::npos) << message;
    EXPECT_NE(message.find("nope"), std::string::npos) << message;
  }
}

TEST(MujocoHelpers, MissingFileIsADataError) {
  EXPECT_THROW(LoadModelFromFile("/nonexistent/model.xml"), DataError);
}

TEST(MujocoHelpers, FatalErrorsThrowInsteadOfExiting) {
  InstallMujocoErrorHandler();
  try {
    mju_error("something broke");
    FAIL() << "no exception";
  } catch (const InternalError& e) {
    EXPECT_STREQ(e.what(), "MuJoCo error: something broke");
  }
}

TEST(MujocoHelpers, RendersTopRowFirstAndReusesTheContext) {
  MjModelPtr model = LoadModelFromString(plugins::point_mass::kModelXml, "point_mass.xml");
  MjDataPtr data = MakeData(model.get());
  data->qpos[1] = 0.2;  // the mass far up (+y) in the top camera
  mj_forward(model.get(), data.get());
  Renderer renderer(model.get(), 32, 32);
  EXPECT_GE(model->vis.global.offwidth, 32);
  std::vector<uint8_t> image(32 * 32 * 3);
  mjvCamera top = FixedCamera(model.get(), "top");
  int red_top = 0, red_bottom = 0;
  for (int pass = 0; pass < 2; ++pass) {
    renderer.Render(data.get(), top, 32, 32, image.data());
    red_top = red_bottom = 0;
    for (int i = 0; i < 32 * 32; ++i) {
      const uint8_t* p = &image[3 * i];
      bool red = p[0] > p[1] + 60 && p[0] > p[2] + 60;
      (i / 32 < 16 ? red_top : red_bottom) += red;
    }
  }
  EXPECT_GT(red_top, 0);
  EXPECT_EQ(red_bottom, 0);
  EXPECT_THROW(renderer.Render(data.get(), top, 0, 32, image.data()), UsageError);
  EXPECT_THROW(FixedCamera(model.get(), "nope"), UsageError);
}

}  // namespace
}  // namespace imitate::mujoco
