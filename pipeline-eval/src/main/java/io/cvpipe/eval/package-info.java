/** Evaluation: metrics, calibration and the report, as a Spark job over an exported model. */
package io.cvpipe.eval;
