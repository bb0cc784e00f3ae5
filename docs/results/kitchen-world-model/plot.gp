set terminal pngcairo size 1100,420 noenhanced font ",10"
set output 'kitchen_world_model.png'
set multiplot layout 1,2
set title "held-out open-loop error, 15 steps (dashed: hold-last, no motion)"
set xlabel "world-model updates"
set ylabel "pixel MSE per element (u8/255)"
set logscale y
set grid
set key top right
plot for [i=0:2] 'data/plot.dat' index i using 1:2 with linespoints lw 2 title columnheader(1), \
     for [i=0:2] 'data/plot.dat' index i using 1:4 with lines dt 2 lc i+1 notitle
unset logscale y
set title "ensemble disagreement (training batches)"
set ylabel "mean std of member means"
set key top right
plot 'data/dis.dat' using 1:2 with lines lw 2 title "on the demos' filtered states", \
     '' using 1:3 with lines lw 2 title "after 5 random-action steps"
unset multiplot
