package io.cvpipe.eval;
