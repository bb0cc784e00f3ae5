// The point_mass arena as MJCF, compiled into the plugin so that the library is self-contained.
#include "plugins/environments/point_mass/point_mass_model.h"

namespace imitate::plugins::point_mass {

const char* const kModelXml = R"MJCF(
<mujoco model="point_mass">
  <option timestep="0.01"/>

  <!-- no shadows and no multisampling: ~3x faster in software rendering -->
  <visual>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.55 0.55 0.55" specular="0 0 0"/>
    <quality shadowsize="0" offsamples="0"/>
  </visual>

  <default>
    <joint type="slide" damping="1"/>
    <geom friction="0.1 0.005 0.0001"/>
    <motor gear="1" ctrllimited="true" ctrlrange="-1 1"/>
    <default class="wall">
      <geom type="box" rgba="0.7 0.7 0.72 1"/>
    </default>
  </default>

  <worldbody>
    <light name="sun" pos="0 0 1" dir="0 0 -1" diffuse="0.4 0.4 0.4" castshadow="false"/>

    <!-- the floor is visual only (one quad: a fine grid is slow to draw in software);
         the walls keep the mass inside +-0.28 m -->
    <geom name="floor" type="plane" size="0.5 0.5 0.5" rgba="0.22 0.26 0.32 1"
          contype="0" conaffinity="0"/>
    <geom name="wall_east" class="wall" pos="0.31 0 0.02" size="0.01 0.32 0.02"/>
    <geom name="wall_west" class="wall" pos="-0.31 0 0.02" size="0.01 0.32 0.02"/>
    <geom name="wall_north" class="wall" pos="0 0.31 0.02" size="0.32 0.01 0.02"/>
    <geom name="wall_south" class="wall" pos="0 -0.31 0.02" size="0.32 0.01 0.02"/>

    <!-- top: straight down, image right = +x, image up = +y; angled: from the south -->
    <camera name="top" pos="0 0 0.8" xyaxes="1 0 0 0 1 0" fovy="45"/>
    <camera name="angled" pos="0 -0.7 0.6" xyaxes="1 0 0 0 0.65 0.76" fovy="45"/>

    <!-- the point mass: a red sphere on two slide joints -->
    <body name="mass" pos="0 0 0.02">
      <joint name="x" axis="1 0 0"/>
      <joint name="y" axis="0 1 0"/>
      <geom name="mass" type="sphere" size="0.02" mass="0.1" rgba="0.9 0.12 0.12 1"/>
    </body>

    <!-- the target: a flat green disc on a mocap body, placed by the environment -->
    <body name="target" mocap="true" pos="0 0 0">
      <geom name="target" type="cylinder" size="0.025 0.001" pos="0 0 0.001"
            rgba="0.15 0.85 0.2 1" contype="0" conaffinity="0"/>
    </body>
  </worldbody>

  <actuator>
    <motor name="ax" joint="x"/>
    <motor name="ay" joint="y"/>
  </actuator>
</mujoco>
)MJCF";

}  // namespace imitate::plugins::point_mass
