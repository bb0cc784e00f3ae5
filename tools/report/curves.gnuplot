# Learning curves of `imitate report`: one translucent band (95% bootstrap interval over seeds)
# and one mean line per configuration.
#   gnuplot -e "datafile='curves_success.dat'; outfile='curves_success.png'; metric='success'" \
#     tools/report/curves.gnuplot
# datafile holds one block per configuration, blocks separated by two blank lines; the first
# line of a block is the quoted configuration label, then rows `env_step mean lo hi`.

if (!exists("datafile")) { print "curves.gnuplot: set datafile='...'"; exit status 2 }
if (!exists("outfile")) { outfile = datafile . ".png" }
if (!exists("metric")) { metric = "value" }

# PNG through cairo where this gnuplot has it (antialiased, translucency), else libgd
# how many configurations (blocks) the file holds; each adds a legend line below the plot
stats datafile using 1 nooutput
blocks = STATS_blocks
height = 560 + 22 * blocks
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 900,height noenhanced font ",11"
} else {
  set terminal png size 900,height noenhanced
}
set output outfile

set title metric
set xlabel "environment steps"
set ylabel metric
# the legend below the plot, one configuration per line: long grid labels keep the plot wide
set key outside below left Left reverse vertical maxrows blocks
set grid
set style fill transparent solid 0.2 noborder
# steps as 500.0k or 1.5M (plain below 1000); a single step value (offline-only runs) gets a
# unit-wide axis
if (STATS_max >= 1000) { set format x "%.1s%c" } else { set format x "%g" }
if (STATS_max == STATS_min) { set xrange [STATS_min - 1 : STATS_max + 1]; set xtics 1 }

# the band first, untitled, then the mean line in the same colour
plot for [i=0:blocks-1] datafile index i using 1:3:4 with filledcurves \
       linecolor i+1 notitle, \
     for [i=0:blocks-1] datafile index i using 1:2 with linespoints \
       linecolor i+1 linewidth 2 pointtype 7 pointsize 0.8 title columnheader(1)

set output
