package dev.zeroinit.init;

import java.util.List;

/**
 * A residual block the planner found, for the plan's display and report.
 *
 * @param id 1-based, in graph order
 * @param graph the graph holding it
 * @param add the Add node joining branch and skip, as {@code Add 'name'}
 * @param branchEnd the branch's last weight layer
 * @param branchLayers every weight layer of the branch
 * @param skip {@code identity} or the shortcut layer
 * @param zeroed whether the plan zeroes the branch end ({@code --residual zero-last})
 */
public record ResidualBlock(int id, String graph, String add, String branchEnd, List<String> branchLayers,
    String skip, boolean zeroed) { }
